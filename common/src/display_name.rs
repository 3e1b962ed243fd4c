//! Display names as other players see them: what a name may hold, applied where a name
//! enters (a token's `name` claim, a guest token request).
//!
//! A name is shown to other players, so it must not carry characters that change how
//! other text is shown or that cannot be seen: control characters (`Cc`, NUL included),
//! format characters (`Cf`: right-to-left overrides and isolates, zero-width spaces and
//! joiners, the byte-order mark, invisible operators, tags), line and paragraph
//! separators, private-use, surrogate and unassigned code points are removed; every other
//! kind of space becomes one plain space; runs of spaces collapse; the ends are trimmed;
//! at most [`MAX_CHARS`] characters are kept.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// The most characters a display name keeps.
pub const MAX_CHARS: usize = 24;

/// `raw` made safe to show, or `None` when nothing visible is left.
pub fn clean(raw: &str) -> Option<String> {
    let mut out = String::new();
    let mut kept = 0;
    let mut pending_space = false;
    for c in raw.chars() {
        if kept == MAX_CHARS {
            break;
        }
        match c.general_category() {
            GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::PrivateUse
            | GeneralCategory::Surrogate
            | GeneralCategory::Unassigned => {}
            GeneralCategory::SpaceSeparator => pending_space = kept > 0,
            _ => {
                if pending_space {
                    // A space with no room for what follows it would end the name.
                    if kept + 2 > MAX_CHARS {
                        break;
                    }
                    out.push(' ');
                    kept += 1;
                }
                pending_space = false;
                out.push(c);
                kept += 1;
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_and_reordering_characters_are_removed() {
        assert_eq!(clean("ev\u{202E}il\u{200B}\u{0}x").as_deref(), Some("evilx"));
        assert_eq!(clean("\u{2066}a\u{2069}\u{FEFF}b\u{200D}c\u{E0041}\u{2028}").as_deref(), Some("abc"));
        assert_eq!(clean("  Ada\u{3000}\u{00A0} Lovelace\t ").as_deref(), Some("Ada Lovelace"));
        assert_eq!(clean("\u{202E}\u{200B} \u{7}"), None, "nothing visible is left");
        assert_eq!(clean("日本の🚀パイロット").as_deref(), Some("日本の🚀パイロット"));
    }

    #[test]
    fn names_are_cut_to_the_limit_after_cleaning() {
        let long = format!("{}{}", "\u{200B}".repeat(100), "x".repeat(100));
        assert_eq!(clean(&long).map(|n| n.chars().count()), Some(MAX_CHARS));
        assert_eq!(clean(&format!("{} y", "x".repeat(MAX_CHARS - 1))).map(|n| n.chars().count()), Some(MAX_CHARS - 1));
    }
}
