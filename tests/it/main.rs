//! The integration tests, one binary (one link of burn): each module one subject.

mod architecture;
mod common;
mod conv_gradients;
mod docs;
mod download;
mod engine;
mod findings;
mod inside;
mod lock;
mod train_session;
mod training;
mod weights;
