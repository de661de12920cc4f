//! Criterion timing that keeps its samples: `iter_custom` records (iterations, elapsed) of each
//! call, so a bench's summary can print ratios from the very samples criterion analysed.

use std::cell::RefCell;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;

/// Criterion's default, set explicitly: the summary reads back the last this many samples (a
/// smaller `--sample-size` on the command line would mix warm-up calls into the summary's time;
/// criterion's own figures are unaffected).
pub const SAMPLE_SIZE: usize = 100;

/// The (iterations, elapsed) of every call criterion made of one routine, warm-up included.
#[derive(Default)]
pub struct Samples(RefCell<Vec<(u64, Duration)>>);

impl Samples {
    /// Records one call of `iters` iterations that took `elapsed`.
    pub fn push(&self, iters: u64, elapsed: Duration) {
        self.0.borrow_mut().push((iters, elapsed));
    }

    /// Criterion's slope estimate (least squares through the origin over the measured
    /// samples, which are the last [`SAMPLE_SIZE`] calls; earlier ones are warm-up), or `None`
    /// when the routine was filtered out.
    pub fn per_iteration(&self) -> Option<Duration> {
        let all = self.0.borrow();
        if all.len() < SAMPLE_SIZE {
            return None;
        }
        let (xy, xx) =
            all[all.len() - SAMPLE_SIZE..]
                .iter()
                .fold((0.0, 0.0), |(xy, xx), &(n, t)| {
                    let n = n as f64;
                    (xy + n * t.as_secs_f64(), xx + n * n)
                });
        Some(Duration::from_secs_f64(xy / xx))
    }
}

/// Times `f` under criterion as `id`, recording every call in `samples`.
pub fn timed<R>(c: &mut Criterion, id: &str, samples: &Samples, mut f: impl FnMut() -> R) {
    c.bench_function(id, |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(f());
            }
            let elapsed = start.elapsed();
            samples.push(iters, elapsed);
            elapsed
        });
    });
}
