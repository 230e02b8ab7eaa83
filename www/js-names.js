// The names the page's JavaScript and its Rust share (engine::js_names on the Rust side; a test
// checks that the two agree). Imported by the loader and the workers.
export const HOOK = 'vaeLab';
export const CPU_BUILD = 'vaeLabCpuBuild';
export const SOFTWARE_ADAPTER = 'vaeLabSoftwareAdapter';
export const TRAIN_WORKER = 'vaeLabTrainWorker';
export const TRAINER = 'vaeLabTrainer';
export const DECODER = 'vaeLabWorker';
export const WEBGPU_FAILED = 'vaeLab.webgpuFailed';
export const WASM_MEMORY = 'vaeLabWasmMemory';
export const THEME = 'vaeLab.theme';
export const PREFETCHED = 'vaeLabPrefetched';
export const FIRST_RECONSTRUCTION = 'vaeLabFirstReconstructionMs';
