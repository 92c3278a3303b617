//! CLIs without a machine-readable stream (Aider, Copilot, a generic command, the scripted
//! agent): every line of output is assistant text; the result block is read from all of it.

use refine_model::transcript::TranscriptItem;

use super::StreamParser;

pub(crate) struct Text;

impl StreamParser for Text {
    fn line(&mut self, line: &str, out: &mut Vec<TranscriptItem>) {
        out.push(TranscriptItem::Text { text: line.into() });
    }
    fn structured(&self) -> bool {
        false
    }
}
