//! `download-mnist` against a local HTTP server (CI has no network): good files are written and
//! skipped the next time, a wrong checksum and a 404 are refused and write nothing.

use std::collections::HashMap;
use std::sync::Arc;

use vae_lab::train::download::{Expected, Fetched, download, md5_hex};

/// Serves `files` on a free loopback port until the test ends; any other path is a 404.
fn serve(files: HashMap<String, Vec<u8>>) -> String {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("a loopback port"));
    let port = server.server_addr().to_ip().expect("an IP address").port();
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let path = request.url().trim_start_matches('/').to_string();
            let _ = match files.get(&path) {
                Some(bytes) => request.respond(tiny_http::Response::from_data(bytes.clone())),
                None => request.respond(tiny_http::Response::empty(404)),
            };
        }
    });
    format!("http://127.0.0.1:{port}/mnist/")
}

#[test]
fn good_files_are_written_then_skipped_and_bad_ones_refused() {
    let a = b"first file".to_vec();
    let b = vec![7u8; 100_000];
    let (md5_a, md5_b) = (md5_hex(&a), md5_hex(&b));
    let mirror = serve(HashMap::from([
        ("mnist/a.gz".to_string(), a.clone()),
        ("mnist/b.gz".to_string(), b.clone()),
        ("mnist/wrong.gz".to_string(), b"not what was published".to_vec()),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let files = [Expected { name: "a.gz", md5: &md5_a }, Expected { name: "b.gz", md5: &md5_b }];

    let mut seen = Vec::new();
    download(&mirror, dir.path(), &files, |name, f| seen.push((name.to_string(), f.clone()))).expect("downloads");
    assert_eq!(seen, [("a.gz".into(), Fetched::Downloaded { bytes: a.len() }), ("b.gz".into(), Fetched::Downloaded { bytes: b.len() })]);
    assert_eq!(std::fs::read(dir.path().join("b.gz")).unwrap(), b);

    // Run again: nothing fetched. Damage one file: only it is fetched again.
    std::fs::write(dir.path().join("a.gz"), b"damaged").unwrap();
    seen.clear();
    download(&mirror, dir.path(), &files, |name, f| seen.push((name.to_string(), f.clone()))).unwrap();
    assert_eq!(seen, [("a.gz".into(), Fetched::Downloaded { bytes: a.len() }), ("b.gz".into(), Fetched::Present)]);

    // The mirror serves other bytes than published: refused, not written.
    let wrong = [Expected { name: "wrong.gz", md5: &md5_a }];
    let err = download(&mirror, dir.path(), &wrong, |_, _| {}).unwrap_err();
    assert!(err.contains("wrong.gz") && err.contains("MD5") && err.contains(&md5_a), "{err}");
    assert!(!dir.path().join("wrong.gz").exists());

    // Not on the mirror.
    let missing = [Expected { name: "missing.gz", md5: &md5_a }];
    let err = download(&mirror, dir.path(), &missing, |_, _| {}).unwrap_err();
    assert!(err.contains("missing.gz") && err.contains("404"), "{err}");
    assert!(!dir.path().join("missing.gz").exists());
}

#[test]
fn the_published_checksums_are_those_of_the_shared_files() {
    // The copy beside the project (README of ../shared/data/mnist) is the 1998 distribution.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mnist");
    if !dir.is_dir() {
        println!("no {}: skipped", dir.display());
        return;
    }
    for file in vae_lab::train::download::MNIST_FILES {
        let bytes = std::fs::read(dir.join(file.name)).expect("MNIST file");
        assert_eq!(md5_hex(&bytes), file.md5, "{}", file.name);
    }
}
