//! Auth events: each type after its action, none after a failed one; paging, filters, who may read.

pub mod face;

mod reading;
mod types;
