//! What several modes share: each mode's intro (`intro`), painting digits on canvases (`paint`), the drawing pad (`pad`), the
//! model inputs (`sources`),
//! the latent map (`latent_map`), work that follows the newest input (`frame_runner`), and files
//! saved and opened (`files`), the light and dark themes (`theme`), and which digit an image looks
//! like, in words (`reading`).

pub(crate) mod files;
pub(crate) mod frame_runner;
pub(crate) mod intro;
pub(crate) mod latent_map;
pub(crate) mod next_task;
pub(crate) mod pad;
pub(crate) mod paint;
pub(crate) mod reading;
pub(crate) mod sources;
pub(crate) mod theme;
