//! Typed settings, read from `GATEHOUSE_*` environment variables and `DATABASE_URL`.

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

/// Everything the service can be configured with. Defaults suit a local,
/// zero-setup run on an embedded SQLite file.
#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL`: `sqlite://PATH` (default `sqlite://gatehouse.db`).
    pub database_url: String,
    /// `GATEHOUSE_ADDR`: where the HTTP server listens.
    pub addr: SocketAddr,
    /// `GATEHOUSE_ACCESS_TOKEN_TTL` (seconds): lifetime of an access token.
    pub access_token_ttl: Duration,
    /// `GATEHOUSE_REFRESH_TOKEN_TTL` (seconds): lifetime of a refresh token,
    /// and the keep-alive window after a password login.
    pub refresh_token_ttl: Duration,
    /// `GATEHOUSE_ARGON2_MEMORY_KIB`, `_ITERATIONS`, `_PARALLELISM`.
    pub argon2: Argon2Config,
    /// `GATEHOUSE_HASH_CONCURRENCY`: password hashes run at once (default: cores).
    pub hash_concurrency: usize,
    /// `GATEHOUSE_MAX_BODY_BYTES`: largest request body accepted.
    pub max_body_bytes: usize,
    /// `GATEHOUSE_DB_MAX_CONNECTIONS`: size of the database read pool.
    pub db_max_connections: u32,
    /// `GATEHOUSE_DB_ACQUIRE_TIMEOUT_MS`: how long a request waits for a connection.
    pub db_acquire_timeout: Duration,
    /// `GATEHOUSE_SQLITE_SYNCHRONOUS`: `normal` (default; survives a process
    /// crash) or `full` (also survives power loss, slower writes).
    pub sqlite_synchronous_full: bool,
    /// `GATEHOUSE_GRAPHQL_MAX_DEPTH`, `_MAX_FIELDS`, `_MAX_ALIASES`,
    /// `_MAX_PASSWORD_CHECKS`: limits on one GraphQL request.
    pub graphql_limits: GraphqlLimits,
    /// `GATEHOUSE_PASSWORD_MIN_SCORE`: minimum zxcvbn strength (0-4) of a
    /// new password; 0 turns the estimate off (length rules still apply).
    pub password_min_score: u8,
}

/// Limits on one GraphQL operation (introspection is exempt).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GraphqlLimits {
    pub max_depth: usize,
    pub max_fields: usize,
    pub max_aliases: usize,
    /// Password-checking fields per request (`tokenAuth`, sign-up,
    /// `changePassword`): each costs an argon2 hash.
    pub max_password_checks: usize,
}

impl Default for GraphqlLimits {
    fn default() -> Self {
        Self {
            max_depth: 12,
            max_fields: 200,
            max_aliases: 30,
            max_password_checks: 1,
        }
    }
}

/// Cost parameters of argon2id password hashing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2Config {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Config {
    /// OWASP's recommendation for argon2id: m=19456 KiB, t=2, p=1.
    fn default() -> Self {
        Self {
            memory_kib: 19456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://gatehouse.db".into(),
            addr: SocketAddr::from(([127, 0, 0, 1], 8000)),
            access_token_ttl: Duration::from_secs(5 * 60),
            refresh_token_ttl: Duration::from_secs(7 * 24 * 3600),
            argon2: Argon2Config::default(),
            hash_concurrency: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            max_body_bytes: 64 * 1024,
            db_max_connections: 8,
            db_acquire_timeout: Duration::from_secs(3),
            sqlite_synchronous_full: false,
            graphql_limits: GraphqlLimits::default(),
            password_min_score: 3,
        }
    }
}

/// A setting that could not be used, with the variable's name.
#[derive(Debug, thiserror::Error)]
#[error("invalid value for {name}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let d = Self::default();
        let get = |name: &'static str| lookup(name).filter(|v| !v.trim().is_empty());
        let secs = |name: &'static str, default: Duration| -> Result<Duration, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => match parse::<u64>(name, &v)? {
                    0 => Err(ConfigError {
                        name,
                        reason: "must be at least 1 second".into(),
                    }),
                    n => Ok(Duration::from_secs(n)),
                },
            }
        };
        let num =
            |name: &'static str, default: u64, min: u64, max: u64| -> Result<u64, ConfigError> {
                let n = match get(name) {
                    None => return Ok(default),
                    Some(v) => parse::<u64>(name, &v)?,
                };
                if n < min || n > max {
                    return Err(ConfigError {
                        name,
                        reason: format!("must be between {min} and {max}, got {n}"),
                    });
                }
                Ok(n)
            };
        let argon2 = Argon2Config {
            memory_kib: num(
                "GATEHOUSE_ARGON2_MEMORY_KIB",
                d.argon2.memory_kib.into(),
                8,
                4 * 1024 * 1024,
            )? as u32,
            iterations: num(
                "GATEHOUSE_ARGON2_ITERATIONS",
                d.argon2.iterations.into(),
                1,
                100,
            )? as u32,
            parallelism: num(
                "GATEHOUSE_ARGON2_PARALLELISM",
                d.argon2.parallelism.into(),
                1,
                64,
            )? as u32,
        };
        if u64::from(argon2.memory_kib) < 8 * u64::from(argon2.parallelism) {
            return Err(ConfigError {
                name: "GATEHOUSE_ARGON2_MEMORY_KIB",
                reason: "must be at least 8 KiB per lane of parallelism".into(),
            });
        }
        let sqlite_synchronous_full = match get("GATEHOUSE_SQLITE_SYNCHRONOUS").as_deref() {
            None => d.sqlite_synchronous_full,
            Some(v) if v.eq_ignore_ascii_case("normal") => false,
            Some(v) if v.eq_ignore_ascii_case("full") => true,
            Some(v) => {
                return Err(ConfigError {
                    name: "GATEHOUSE_SQLITE_SYNCHRONOUS",
                    reason: format!("expected `normal` or `full`, got `{v}`"),
                })
            }
        };
        let addr = match get("GATEHOUSE_ADDR") {
            None => d.addr,
            Some(v) => parse::<SocketAddr>("GATEHOUSE_ADDR", &v)?,
        };
        Ok(Self {
            database_url: get("DATABASE_URL").unwrap_or(d.database_url),
            addr,
            access_token_ttl: secs("GATEHOUSE_ACCESS_TOKEN_TTL", d.access_token_ttl)?,
            refresh_token_ttl: secs("GATEHOUSE_REFRESH_TOKEN_TTL", d.refresh_token_ttl)?,
            argon2,
            hash_concurrency: num(
                "GATEHOUSE_HASH_CONCURRENCY",
                d.hash_concurrency as u64,
                1,
                1024,
            )? as usize,
            max_body_bytes: num(
                "GATEHOUSE_MAX_BODY_BYTES",
                d.max_body_bytes as u64,
                1024,
                16 * 1024 * 1024,
            )? as usize,
            db_max_connections: num(
                "GATEHOUSE_DB_MAX_CONNECTIONS",
                d.db_max_connections.into(),
                1,
                1000,
            )? as u32,
            db_acquire_timeout: Duration::from_millis(num(
                "GATEHOUSE_DB_ACQUIRE_TIMEOUT_MS",
                d.db_acquire_timeout.as_millis() as u64,
                10,
                600_000,
            )?),
            sqlite_synchronous_full,
            password_min_score: num(
                "GATEHOUSE_PASSWORD_MIN_SCORE",
                d.password_min_score.into(),
                0,
                4,
            )? as u8,
            graphql_limits: GraphqlLimits {
                max_depth: num(
                    "GATEHOUSE_GRAPHQL_MAX_DEPTH",
                    d.graphql_limits.max_depth as u64,
                    1,
                    1000,
                )? as usize,
                max_fields: num(
                    "GATEHOUSE_GRAPHQL_MAX_FIELDS",
                    d.graphql_limits.max_fields as u64,
                    1,
                    100_000,
                )? as usize,
                max_aliases: num(
                    "GATEHOUSE_GRAPHQL_MAX_ALIASES",
                    d.graphql_limits.max_aliases as u64,
                    0,
                    10_000,
                )? as usize,
                max_password_checks: num(
                    "GATEHOUSE_GRAPHQL_MAX_PASSWORD_CHECKS",
                    d.graphql_limits.max_password_checks as u64,
                    1,
                    100,
                )? as usize,
            },
        })
    }
}

fn parse<T: FromStr>(name: &'static str, value: &str) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    value.trim().parse().map_err(|e: T::Err| ConfigError {
        name,
        reason: format!("`{value}`: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn an_empty_environment_gives_the_documented_defaults() {
        let c = from(&[]).unwrap();
        assert_eq!(c.database_url, "sqlite://gatehouse.db");
        assert_eq!(c.addr.to_string(), "127.0.0.1:8000");
        assert_eq!(c.access_token_ttl, Duration::from_secs(300));
        assert_eq!(c.refresh_token_ttl, Duration::from_secs(604800));
        assert_eq!(
            c.argon2,
            Argon2Config {
                memory_kib: 19456,
                iterations: 2,
                parallelism: 1
            }
        );
    }

    #[test]
    fn a_bad_address_names_the_variable() {
        let e = from(&[("GATEHOUSE_ADDR", "nowhere")]).unwrap_err();
        assert_eq!(e.name, "GATEHOUSE_ADDR");
        assert!(e.to_string().contains("nowhere"));
    }

    #[test]
    fn a_zero_lifetime_is_refused() {
        let e = from(&[("GATEHOUSE_ACCESS_TOKEN_TTL", "0")]).unwrap_err();
        assert_eq!(e.name, "GATEHOUSE_ACCESS_TOKEN_TTL");
    }

    #[test]
    fn out_of_range_numbers_are_refused() {
        assert!(from(&[("GATEHOUSE_ARGON2_ITERATIONS", "0")]).is_err());
        assert!(from(&[("GATEHOUSE_MAX_BODY_BYTES", "abc")]).is_err());
        assert!(from(&[("GATEHOUSE_SQLITE_SYNCHRONOUS", "off")]).is_err());
    }
}
