//! Measures argon2id at the parameters the API uses (m = 19456 KiB, t = 2, p = 1): hashing a
//! new password, verifying a right one, a wrong one, and the dummy-hash path a sign-in for an
//! unknown email takes. Prints figures; asserts nothing.
//!
//!     cargo bench -p api --bench password_hash

use std::time::{Duration, Instant};

use api::auth::password;

const RUNS: usize = 30;

fn summary(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mean = samples.iter().map(|d| ms(*d)).sum::<f64>() / samples.len() as f64;
    println!(
        "{name:<34} n={:<3} median {:>7.2} ms  mean {:>7.2} ms  min {:>7.2} ms  max {:>7.2} ms",
        samples.len(),
        ms(samples[samples.len() / 2]),
        mean,
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
    );
}

fn time(mut f: impl FnMut()) -> Vec<Duration> {
    f(); // warm-up
    (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stored = password::hash_blocking("violet tractor sings loudly")?;
    let dummy = password::hash_blocking("a random password nobody knows")?;

    summary(
        "hash (sign-up, password change)",
        time(|| {
            let _ = password::hash_blocking("violet tractor sings loudly");
        }),
    );
    summary(
        "verify, right password",
        time(|| {
            let _ = runtime.block_on(password::verify("violet tractor sings loudly", &stored));
        }),
    );
    summary(
        "verify, wrong password",
        time(|| {
            let _ = runtime.block_on(password::verify("wrong password", &stored));
        }),
    );
    summary(
        "verify, unknown email (dummy hash)",
        time(|| {
            let _ = runtime.block_on(password::verify("wrong password", &dummy));
        }),
    );
    Ok(())
}
