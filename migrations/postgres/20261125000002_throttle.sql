-- Fixed-window counters for login and sign-up throttling, shared by every
-- instance on the database.
CREATE TABLE throttle (
    bucket        TEXT    PRIMARY KEY,
    window_start  BIGINT  NOT NULL,
    hits          BIGINT  NOT NULL
);
