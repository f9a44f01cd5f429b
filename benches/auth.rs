//! Micro-benchmarks of the request path's crypto and of password hashing:
//! `cargo bench --bench auth` (add a name to run one, e.g. `-- token_verify`).
//! token_issue, token_verify (a token seen before), token_verify_first_use,
//! password/password_verify and password/password_hash (server defaults).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use secrecy::SecretString;

use gatehouse::auth::keys::KeyRing;
use gatehouse::auth::password::{Hasher, Verdict};
use gatehouse::auth::tokens::{self, AccessClaims};
use gatehouse::config::{Argon2Config, Config};
use gatehouse::db::Db;

struct Fixture {
    rt: tokio::runtime::Runtime,
    keys: KeyRing,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        database_url: format!("sqlite://{}/bench.db", dir.path().display()),
        ..Config::default()
    };
    let keys = rt.block_on(async {
        let db = Db::connect(&config).await.unwrap();
        db.migrate().await.unwrap();
        KeyRing::load(&db, None).await.unwrap()
    });
    Fixture {
        rt,
        keys,
        _dir: dir,
    }
}

fn claims(keys: &KeyRing, now: i64) -> AccessClaims {
    AccessClaims {
        session: None,
        kid: keys.signing().kid.clone(),
        auth_time: now,
        amr: gatehouse::auth::tokens::Amr::Password,
        user_id: 42,
        username: "bench-user".into(),
        issued_at: now,
        not_before: now,
        expires_at: now + 300,
        orig_iat: now,
        jti: "zT1m2xWq9KcVh3pR7bN4Ag".into(),
        version: 0,
    }
}

fn token_issue(c: &mut Criterion) {
    let f = fixture();
    let now = gatehouse::now();
    let key = f.keys.signing();
    let claims = claims(&f.keys, now);
    c.bench_function("token_issue", |b| {
        b.iter(|| tokens::sign(&key, std::hint::black_box(&claims)).unwrap())
    });
}

fn token_verify(c: &mut Criterion) {
    let f = fixture();
    let now = gatehouse::now();
    // A token seen before: the verified-token cache answers (key ring and
    // times are still checked).
    let token = tokens::sign(&f.keys.signing(), &claims(&f.keys, now)).unwrap();
    let cache = tokens::VerifiedCache::default();
    c.bench_function("token_verify", |b| {
        b.iter(|| {
            let token = std::hint::black_box(&token);
            f.rt.block_on(tokens::verify(&f.keys, &cache, token, now))
                .unwrap()
        })
    });
    // A token never seen: the full Ed25519 check (a fresh token per
    // iteration, signed outside the timed part).
    let mut n = 0u64;
    c.bench_function("token_verify_first_use", |b| {
        b.iter_batched(
            || {
                n += 1;
                let mut c = claims(&f.keys, now);
                c.jti = format!("first-use-{n}");
                tokens::sign(&f.keys.signing(), &c).unwrap()
            },
            |token| {
                f.rt.block_on(tokens::verify(&f.keys, &cache, &token, now))
                    .unwrap()
            },
            BatchSize::SmallInput,
        )
    });
}

fn password_verify(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // The server's defaults (OWASP: m=19456 KiB, t=2, p=1), one slot.
    let hasher = Hasher::new(Argon2Config::default(), 1).unwrap();
    let password = SecretString::from("bench-password-42".to_owned());
    let stored = rt.block_on(hasher.hash(&password)).unwrap();
    let mut group = c.benchmark_group("password");
    group.sample_size(20);
    group.bench_function("password_verify", |b| {
        b.iter(|| {
            let v = rt
                .block_on(hasher.verify(&password, Some(&stored)))
                .unwrap();
            assert_eq!(v, Verdict::Match);
        })
    });
    group.bench_function("password_hash", |b| {
        b.iter(|| rt.block_on(hasher.hash(&password)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, token_issue, token_verify, password_verify);
criterion_main!(benches);
