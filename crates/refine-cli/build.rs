//! Release builds of `refine` place the functions an idle daemon runs next to each other.
//!
//! An idle daemon runs a few thousand of the binary's functions, spread over tens of MiB of code;
//! the kernel maps 64 KiB of code around each first touch (fault-around), so an idle daemon's
//! resident code was most of its memory. `startup-order.txt` lists those functions (from a run
//! under valgrind: `make order`); this turns it into a linker script that puts them in one output
//! section ahead of `.text`. A Rust symbol's hash is a wildcard there, so the list outlives
//! rebuilds (and a generic function's instances come along together); a function missing from
//! it only costs a page fault, never correctness.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=startup-order.txt");
    println!("cargo:rerun-if-changed=build.rs");
    let release = std::env::var("PROFILE").as_deref() == Ok("release");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux");
    // lld (Rust's default here) and GNU ld take the script; mold and gold do not.
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let other_linker = flags.contains("mold") || flags.contains("gold");
    if !release || !linux || other_linker {
        return;
    }
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let Ok(list) = std::fs::read_to_string(dir.join("startup-order.txt")) else {
        return;
    };
    let mut script = String::from("SECTIONS {\n  .text.refine.idle : {\n");
    for name in list.lines().map(str::trim) {
        // The linker script's own syntax characters never occur in a symbol name; anything
        // unusual (and the list's comments) is left out rather than breaking the link.
        if name.is_empty() || name.contains(|c: char| "#(){};,\"' \t".contains(c)) {
            continue;
        }
        // A function's section: `.text.NAME`, or `.text.unlikely.NAME` where LLVM deems it cold.
        script.push_str(&format!(
            "    *(.text.{name})\n    *(.text.unlikely.{name})\n"
        ));
    }
    script.push_str("  }\n}\nINSERT BEFORE .text;\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("idle-order.ld");
    std::fs::write(&out, script).unwrap();
    // (-Xlinker, not -Wl: a comma in the path would split it.)
    println!("cargo:rustc-link-arg-bin=refine=-Xlinker");
    println!("cargo:rustc-link-arg-bin=refine=-T");
    println!("cargo:rustc-link-arg-bin=refine=-Xlinker");
    println!("cargo:rustc-link-arg-bin=refine={}", out.display());
}
