//! `refine open`: a fresh one-time login link for a browser, printed, and opened when there is
//! a desktop to open it on.

use refine_api::ops::sessions;
use refine_core::sessions::LoginLinkInput;
use refine_model::session::LoginLink;

use super::{Commands, Run};
use crate::render::{Printer, Render, Tone};
use crate::Result;

pub const COMMANDS: Commands = &[("", &[sessions::LINK.name])];

pub async fn run(r: &Run<'_>) -> Result {
    let link = r.c.run(sessions::LINK, &LoginLinkInput {}).await?;
    r.out.show(&link)?;
    let desktop =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if desktop && !r.out.is_json() {
        let _ = std::process::Command::new("xdg-open")
            .arg(&link.url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
    }
    Ok(())
}

impl Render for LoginLink {
    fn render(&self, p: &mut Printer) {
        p.line(&self.url);
        p.toned(
            format!("(works once, until {})", self.expires_at),
            Tone::Dim,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    #[test]
    fn a_login_link_renders_with_its_expiry() {
        let link = LoginLink {
            url: "http://127.0.0.1:7878/#login=abc".into(),
            expires_at: "2026-01-01T00:15:00Z".into(),
        };
        assert_eq!(
            shown(&link),
            "http://127.0.0.1:7878/#login=abc\n(works once, until 2026-01-01T00:15:00Z)\n"
        );
    }
}
