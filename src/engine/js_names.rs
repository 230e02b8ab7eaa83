//! The names the page's Rust and its JavaScript (`www/js-names.js`, which the loader and the
//! workers import) share: globals on `window` or a worker's `self`, and two storage keys.
//! One place on each side; a test checks that the two sides agree.
#![allow(dead_code, reason = "each build reads some of these names; the agreement test reads them all")]

/// `window.vaeLab`: the benchmarks' hook (`app::bench_hook`).
pub(crate) const HOOK: &str = "vaeLab";
/// `window.vaeLabCpuBuild`: the CPU build the loader chose (`{js, wasm, relaxedSimd}`), which
/// the decode workers run whichever build the page runs.
pub(crate) const CPU_BUILD: &str = "vaeLabCpuBuild";
/// `window.vaeLabSoftwareAdapter`: set by the loader when the only WebGPU adapter is a software
/// one, so the CPU build says why it runs.
pub(crate) const SOFTWARE_ADAPTER: &str = "vaeLabSoftwareAdapter";
/// `self.vaeLabTrainWorker`: set by `www/train-worker.js`, so the WebGPU build it boots knows it
/// is the trainer, not the page.
pub(crate) const TRAIN_WORKER: &str = "vaeLabTrainWorker";
/// `self.vaeLabTrainer`: the training worker's entry (`receive(message)`).
pub(crate) const TRAINER: &str = "vaeLabTrainer";
/// `self.vaeLabWorker`: a decode worker's entry (`receive(request)`: `workers::decode_protocol`).
pub(crate) const DECODER: &str = "vaeLabWorker";
/// Session storage: why WebGPU failed in this tab (the loader then fetches the CPU build).
pub(crate) const WEBGPU_FAILED: &str = "vaeLab.webgpuFailed";
/// Local storage: the theme the visitor chose (`light` or `dark`; unset: the system's), which the
/// loader applies before the page is drawn.
pub(crate) const THEME: &str = "vaeLab.theme";
/// `window.vaeLabWasmMemory()`: the page's wasm memory, for the browser tests' memory checks.
pub(crate) const WASM_MEMORY: &str = "vaeLabWasmMemory";

/// `window.vaeLabPrefetched`: the page's first fetches, which the loader starts while the wasm
/// downloads (`{url: Promise<Response>}`); `engine::web::fetch_bytes` takes each over once.
pub(crate) const PREFETCHED: &str = "vaeLabPrefetched";

/// `window.vaeLabFirstReconstructionMs`: when the loader drew the start screen's first
/// reconstruction (ms since navigation), for the benchmarks; the app's own is the hook's.
pub(crate) const FIRST_RECONSTRUCTION: &str = "vaeLabFirstReconstructionMs";

/// Every name, as `www/js-names.js` exports it.
pub(crate) const ALL: [(&str, &str); 11] = [
    ("HOOK", HOOK),
    ("CPU_BUILD", CPU_BUILD),
    ("SOFTWARE_ADAPTER", SOFTWARE_ADAPTER),
    ("TRAIN_WORKER", TRAIN_WORKER),
    ("TRAINER", TRAINER),
    ("DECODER", DECODER),
    ("WEBGPU_FAILED", WEBGPU_FAILED),
    ("WASM_MEMORY", WASM_MEMORY),
    ("THEME", THEME),
    ("PREFETCHED", PREFETCHED),
    ("FIRST_RECONSTRUCTION", FIRST_RECONSTRUCTION),
];

#[cfg(test)]
mod tests {
    #[test]
    fn the_javascript_side_names_the_same() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/www/js-names.js");
        let js = std::fs::read_to_string(path).expect("www/js-names.js");
        let mut exported: Vec<(String, String)> = js
            .lines()
            .filter_map(|line| {
                let rest = line.trim().strip_prefix("export const ")?;
                let (name, value) = rest.split_once(" = ")?;
                Some((name.to_string(), value.trim_end_matches(';').trim_matches('\'').to_string()))
            })
            .collect();
        let mut ours: Vec<(String, String)> = super::ALL.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        exported.sort();
        ours.sort();
        assert_eq!(exported, ours, "www/js-names.js and engine::js_names disagree");
    }
}
