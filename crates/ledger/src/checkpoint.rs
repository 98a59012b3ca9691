//! C2SP tlog-checkpoint: the note text that commits to a tree.

use crate::Error;
use crate::hash::Hash;

/// A checkpoint (C2SP tlog-checkpoint, "Note text"): the log's origin, the
/// tree size and its root hash, and optional extension lines. Its text is
/// what a [`crate::SignerKey`] signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, e.g. `veedor.example/ve2024`: non-empty, one line.
    pub origin: String,
    /// The number of entries in the tree.
    pub size: u64,
    /// The tree's root hash.
    pub root: Hash,
    /// Extension lines: opaque, each non-empty; the spec advises against them.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    ///
    /// # Errors
    /// [`Error::MalformedCheckpoint`] if the origin is empty or holds a
    /// newline or other control character.
    pub fn new(origin: impl Into<String>, size: u64, root: Hash) -> Result<Self, Error> {
        let checkpoint = Self {
            origin: origin.into(),
            size,
            root,
            extensions: Vec::new(),
        };
        checkpoint.validate()?;
        Ok(checkpoint)
    }

    /// Checks the rules [`Checkpoint::parse`] enforces on the origin and
    /// the extension lines, for a checkpoint built by hand.
    ///
    /// # Errors
    /// [`Error::MalformedCheckpoint`] naming the bad line.
    pub fn validate(&self) -> Result<(), Error> {
        check_line(1, &self.origin, "the origin is empty")?;
        for (position, extension) in self.extensions.iter().enumerate() {
            check_line(position + 4, extension, "an extension line is empty")?;
        }
        Ok(())
    }

    /// The note text: origin, decimal size, base64 root, extension lines,
    /// each ending in a newline.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        );
        for extension in &self.extensions {
            text.push_str(extension);
            text.push('\n');
        }
        text
    }

    /// Parses a checkpoint's note text (without signatures; see
    /// [`crate::VerifierKey::verify`] for a signed one).
    ///
    /// # Errors
    /// [`Error::MalformedCheckpoint`] naming the line and what is wrong.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let malformed = |line, reason| Error::MalformedCheckpoint { line, reason };
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| malformed(text.lines().count().max(1), "missing final newline"))?;
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        check_line(1, origin, "the origin is empty")?;
        let size_text = lines
            .next()
            .ok_or_else(|| malformed(2, "missing the tree size"))?;
        let canonical = !size_text.is_empty()
            && size_text.bytes().all(|byte| byte.is_ascii_digit())
            && (size_text == "0" || !size_text.starts_with('0'));
        if !canonical {
            return Err(malformed(
                2,
                "the tree size must be a decimal number without leading zeroes",
            ));
        }
        let size = size_text
            .parse()
            .map_err(|_| malformed(2, "the tree size does not fit in 64 bits"))?;
        let root_text = lines
            .next()
            .ok_or_else(|| malformed(3, "missing the root hash"))?;
        let root = Hash::from_base64(root_text)
            .map_err(|_| malformed(3, "the root hash must be base64 of 32 bytes"))?;
        let extensions = lines
            .enumerate()
            .map(|(position, line)| {
                check_line(position + 4, line, "an extension line is empty")?;
                Ok(line.to_owned())
            })
            .collect::<Result<_, Error>>()?;
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }
}

fn check_line(line: usize, text: &str, empty_reason: &'static str) -> Result<(), Error> {
    if text.is_empty() {
        return Err(Error::MalformedCheckpoint {
            line,
            reason: empty_reason,
        });
    }
    if text.chars().any(char::is_control) {
        return Err(Error::MalformedCheckpoint {
            line,
            reason: "a line holds a newline or another control character",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of C2SP tlog-checkpoint (its note text, without the
    // signature line).
    const SPEC_EXAMPLE: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    #[test]
    fn parses_the_spec_example() -> Result<(), Error> {
        let checkpoint = Checkpoint::parse(SPEC_EXAMPLE)?;
        assert_eq!(checkpoint.origin, "example.com/behind-the-sofa");
        assert_eq!(checkpoint.size, 20_852_163);
        assert_eq!(
            checkpoint.root.to_base64(),
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
        );
        assert!(checkpoint.extensions.is_empty());
        assert_eq!(checkpoint.to_text(), SPEC_EXAMPLE);
        Ok(())
    }

    #[test]
    fn parses_go_tree_note_and_extensions() -> Result<(), Error> {
        // Go's sumdb/tlog/note_test.go (TestParseTree): the go.sum database
        // tree note is a checkpoint whose origin is "go.sum database tree".
        let text =
            "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n";
        let checkpoint = Checkpoint::parse(text)?;
        assert_eq!(checkpoint.size, 123_456_789_012);
        assert_eq!(checkpoint.root, crate::leaf_hash(b"hello world"));

        let with_extensions = format!("{text}ext one\n— not a signature\n");
        let checkpoint = Checkpoint::parse(&with_extensions)?;
        assert_eq!(checkpoint.extensions, ["ext one", "— not a signature"]);
        assert_eq!(checkpoint.to_text(), with_extensions);
        Ok(())
    }

    fn check_bad(text: &str, line: usize) {
        match Checkpoint::parse(text) {
            Err(Error::MalformedCheckpoint { line: got, .. }) => {
                assert_eq!(got, line, "{text:?}");
            }
            other => panic!("{text:?} gave {other:?}"),
        }
    }

    #[test]
    fn rejects_malformed() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        check_bad("", 1);
        check_bad("\n", 1);
        check_bad(&format!("origin\n1\n{root}"), 3);
        check_bad("origin\n", 2);
        check_bad("origin\n1\n", 3);
        check_bad(&format!("\n1\n{root}\n"), 1);
        check_bad(&format!("origin\n01\n{root}\n"), 2);
        check_bad(&format!("origin\n+1\n{root}\n"), 2);
        check_bad(&format!("origin\n0x1\n{root}\n"), 2);
        check_bad(&format!("origin\n\n{root}\n"), 2);
        check_bad(&format!("origin\n18446744073709551616\n{root}\n"), 2);
        // Go's TestParseTree bad cases: a hex size, a hash that is too long.
        check_bad(&format!("origin\n0xabcdef\n{root}\n"), 2);
        check_bad(
            "origin\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=\n",
            3,
        );
        check_bad("origin\n1\nAAAA\n", 3);
        check_bad(&format!("origin\n1\n{root}\n\n"), 4);
        check_bad(&format!("origin\n1\n{root}\next\n\n"), 5);
        check_bad(&format!("ori\tgin\n1\n{root}\n"), 1);
        assert!(Checkpoint::parse(&format!("origin\n0\n{root}\n")).is_ok());
        assert!(Checkpoint::parse(&format!("origin\n18446744073709551615\n{root}\n")).is_ok());
    }

    #[test]
    fn new_validates_the_origin() {
        assert!(Checkpoint::new("", 0, crate::EMPTY_ROOT).is_err());
        assert!(Checkpoint::new("a\nb", 0, crate::EMPTY_ROOT).is_err());
        assert!(Checkpoint::new("veedor.example/log", 0, crate::EMPTY_ROOT).is_ok());
    }
}
