//! How the trainer's process holds memory: mimalloc (each binary's global allocator) keeps the
//! pages it frees.
//!
//! A training step allocates and frees the same large buffers every step (activations, products,
//! gradients: tens of MB). mimalloc by default returns freed pages to the kernel a second after they
//! are freed, so a later step faults them back in, and the kernel zeroes every one of them
//! (`clear_page_erms` at 8.2 % of a `deeper` step's samples in `perf record`, 2 cores of an AMD
//! EPYC family 25). Kept, a `deeper` step took 100–108 ms against 123–126 in three alternating runs
//! of `cargo bench --bench throughput -- "=train step deeper batch 128"` on a noisy machine; when
//! it was quieter the two were the same (103–115 ms), and what held in every run is the system
//! time (0.13–0.23 s a bench run kept, 0.15–1.22 s not), for ~45 MB more resident memory (the
//! baseline's peak 125 → 170 MB).

use libmimalloc_sys::{mi_option_set, mi_option_t};

/// `mi_option_purge_delay` in mimalloc 3's `mimalloc.h` (libmimalloc-sys binds the function but
/// not this option's name): how many ms mimalloc waits before it returns freed memory to the
/// kernel (default 1,000 in `options.c`, where the header's comment says 10; −1: never).
const PURGE_DELAY: mi_option_t = 15;

/// Keeps every page mimalloc frees for reuse instead of returning it to the kernel. Call it first
/// thing in a binary whose global allocator is `mimalloc::MiMalloc` (the trainer CLI, the
/// benchmarks); elsewhere it only sets an option nothing reads.
pub fn keep_freed_pages() {
    // SAFETY: sets one of mimalloc's options, which it allows at any time from any thread.
    unsafe { mi_option_set(PURGE_DELAY, -1) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libmimalloc_sys::mi_option_get;

    #[test]
    fn the_option_set_is_the_purge_delay() {
        // The purge delay's default (1,000 ms) unless the environment set it, where the option's
        // neighbours in the enum have other defaults (1 and 0): the number is the right one.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: reads one of mimalloc's options.
            assert_eq!(unsafe { mi_option_get(PURGE_DELAY) }, 1000);
        }
        keep_freed_pages();
        // SAFETY: as above.
        assert_eq!(unsafe { mi_option_get(PURGE_DELAY) }, -1);
    }
}
