//! One trainer per folder (`train::files::FolderLock`): a second trainer on the same output stops
//! at once and names the first one's process, in this process and from another; a lock left by a
//! trainer that is gone is taken over.

use std::process::Command;
use std::time::Instant;

use crate::common;

use vae_lab::data::idx::labels_to_idx;
use vae_lab::data::{Digits, Mnist};
use vae_lab::study::Variant;
use vae_lab::train::files::{FolderLock, LOCK_FILE};
use vae_lab::train::{Backend, TrainOptions, take, train};

fn options(dir: &std::path::Path) -> TrainOptions {
    TrainOptions {
        variant: Variant::Baseline,
        epochs: 1,
        batch: 32,
        lr: 1e-3,
        seed: 5,
        resume: false,
        checkpoint_dir: dir.join("checkpoints"),
        out_dir: dir.join("models"),
        backend: Backend::Flex,
        stop_after: None,
    }
}

/// Raw IDX files of `digits` under MNIST's names for `split` (`train` / `t10k`) in `dir`.
fn write_split(dir: &std::path::Path, split: &str, digits: &Digits) {
    std::fs::write(dir.join(format!("{split}-images-idx3-ubyte")), digits.images.to_idx()).unwrap();
    std::fs::write(dir.join(format!("{split}-labels-idx1-ubyte")), labels_to_idx(&digits.labels)).unwrap();
}

#[test]
fn a_second_trainer_on_a_held_folder_stops_at_once_and_names_the_first() {
    let _turn = common::device_rng();
    let dir = tempfile::tempdir().unwrap();
    let (sample, _) = common::shipped_sample();
    let data = Mnist { train: take(&sample, 64), test: take(&sample, 50) };
    let options = options(dir.path());
    let held = FolderLock::acquire(&options.out_dir).expect("the folder is free");

    // In this process.
    let err = train(&options, &data, "sample", |_| {}).unwrap_err();
    assert!(err.contains("another trainer") && err.contains(&format!("process {}", std::process::id())), "{err}");
    assert!(!options.out_dir.join("baseline.bpk").exists() && !options.checkpoint_dir.exists(), "it wrote before stopping");

    // From another process: the CLI on the same folder.
    let mnist = dir.path().join("mnist");
    std::fs::create_dir_all(&mnist).unwrap();
    write_split(&mnist, "train", &data.train);
    write_split(&mnist, "t10k", &data.test);
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_vae-lab"))
            .args(["train", "--variant", "baseline", "--epochs", "1", "--batch", "32", "--limit", "64"])
            .arg("--data")
            .arg(&mnist)
            .arg("--out")
            .arg(&options.out_dir)
            .arg("--checkpoint-dir")
            .arg(&options.checkpoint_dir)
            .output()
            .expect("the trainer runs")
    };
    let started = Instant::now();
    let refused = run();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && stderr.contains(&format!("process {}", std::process::id())), "{stderr}");
    assert!(started.elapsed().as_secs_f64() < 30.0, "it did not stop at once");
    assert!(!options.out_dir.join("baseline.bpk").exists());

    // Released: the same command trains, and leaves no lock behind.
    drop(held);
    let ran = run();
    assert!(ran.status.success(), "{}", String::from_utf8_lossy(&ran.stderr));
    assert!(options.out_dir.join("baseline.bpk").exists());
    assert!(!options.out_dir.join(LOCK_FILE).exists() && !options.checkpoint_dir.join(LOCK_FILE).exists());
}

#[test]
fn a_lock_left_by_a_trainer_that_is_gone_is_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    // A process that has ended: its id is no longer running.
    let mut gone = Command::new("true").spawn().expect("`true` runs");
    let pid = gone.id();
    gone.wait().unwrap();
    std::fs::write(dir.path().join(LOCK_FILE), pid.to_string()).unwrap();
    let lock = FolderLock::acquire(dir.path()).expect("a stale lock is taken over");
    assert_eq!(std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap(), std::process::id().to_string());
    // And a live one is not.
    let err = FolderLock::acquire(dir.path()).unwrap_err();
    assert!(err.contains(&format!("process {}", std::process::id())), "{err}");
    drop(lock);
    assert!(!dir.path().join(LOCK_FILE).exists());
}
