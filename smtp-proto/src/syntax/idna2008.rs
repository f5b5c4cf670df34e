//! IDNA2008's code point rules: the derived property of RFC 5892 §3 and the CONTEXTO rules of
//! its Appendix A, computed from the Unicode properties that ICU4X ships (the same data the
//! `idna` crate's UTS #46 processing already links in).
//!
//! UTS #46 accepts code points that IDNA2008 does not (symbols such as U+2603, Old Hangul
//! jamo, a middle dot anywhere); these rules close that gap. The rules that UTS #46 checks
//! exactly as IDNA2008 does (hyphens, CONTEXTJ for ZWJ and ZWNJ, Bidi) stay with it.

use icu_properties::props::{
    ChangesWhenNfkcCasefolded, DefaultIgnorableCodePoint, GeneralCategory, HangulSyllableType,
    JoinControl, NoncharacterCodePoint, Script, WhiteSpace,
};
use icu_properties::{CodePointMapData, CodePointSetData};

use super::error::IdnaProblem;

/// The derived property value of one code point (RFC 5892 §2.8-2.9 and §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DerivedProperty {
    /// Allowed anywhere in a label.
    Pvalid,
    /// Allowed where a joining rule holds (ZWJ, ZWNJ: Appendix A.1-A.2).
    ContextJ,
    /// Allowed where a rule of Appendix A.3-A.9 holds.
    ContextO,
    /// Never allowed.
    Disallowed,
    /// Not assigned in the Unicode version of the data: not allowed (RFC 5891 §5.4).
    Unassigned,
}

/// RFC 5892 §3: the first category that holds decides.
pub(crate) fn derived_property(cp: char) -> DerivedProperty {
    use DerivedProperty as D;
    let category = CodePointMapData::<GeneralCategory>::new().get(cp);
    if let Some(exception) = exception(cp) {
        exception // F. Exceptions (G. BackwardCompatible is empty).
    } else if category == GeneralCategory::Unassigned
        && !CodePointSetData::new::<NoncharacterCodePoint>().contains(cp)
    {
        D::Unassigned // J.
    } else if matches!(cp, '-' | '0'..='9' | 'a'..='z') {
        D::Pvalid // E. LDH.
    } else if CodePointSetData::new::<JoinControl>().contains(cp) {
        D::ContextJ // H.
    } else if is_unstable(cp) || is_ignorable(cp) || is_old_hangul_jamo(cp) {
        D::Disallowed // B, C, D, I.
    } else if matches!(
        category,
        GeneralCategory::LowercaseLetter
            | GeneralCategory::UppercaseLetter
            | GeneralCategory::OtherLetter
            | GeneralCategory::DecimalNumber
            | GeneralCategory::ModifierLetter
            | GeneralCategory::NonspacingMark
            | GeneralCategory::SpacingMark
    ) {
        D::Pvalid // A. LetterDigits.
    } else {
        D::Disallowed
    }
}

/// F. Exceptions (RFC 5892 §2.6): code points whose value the categories would get wrong.
fn exception(cp: char) -> Option<DerivedProperty> {
    use DerivedProperty as D;
    match cp {
        // Would otherwise have been DISALLOWED.
        '\u{00DF}' | '\u{03C2}' | '\u{06FD}' | '\u{06FE}' | '\u{0F0B}' | '\u{3007}' => {
            Some(D::Pvalid)
        }
        '\u{00B7}' | '\u{0375}' | '\u{05F3}' | '\u{05F4}' | '\u{30FB}' => Some(D::ContextO),
        // Would otherwise have been PVALID.
        '\u{0660}'..='\u{0669}' | '\u{06F0}'..='\u{06F9}' => Some(D::ContextO),
        '\u{0640}'
        | '\u{07FA}'
        | '\u{302E}'
        | '\u{302F}'
        | '\u{3031}'..='\u{3035}'
        | '\u{303B}' => Some(D::Disallowed),
        _ => None,
    }
}

/// B. Unstable: changed by NFKC and case folding. `Changes_When_NFKC_Casefolded` is
/// Unicode's name for `cp != NFKC_Casefold(cp)`; where it differs from §2.2's
/// `NFKC(casefold(NFKC(cp)))`, on default-ignorable code points, C below disallows anyway.
fn is_unstable(cp: char) -> bool {
    CodePointSetData::new::<ChangesWhenNfkcCasefolded>().contains(cp)
}

/// C. IgnorableProperties, and D. IgnorableBlocks (Combining Diacritical Marks for
/// Symbols, Musical Symbols, Ancient Greek Musical Notation).
fn is_ignorable(cp: char) -> bool {
    CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(cp)
        || CodePointSetData::new::<WhiteSpace>().contains(cp)
        || CodePointSetData::new::<NoncharacterCodePoint>().contains(cp)
        || matches!(cp, '\u{20D0}'..='\u{20FF}' | '\u{1D100}'..='\u{1D24F}')
}

/// I. OldHangulJamo: conjoining jamo (`Hangul_Syllable_Type` L, V or T).
fn is_old_hangul_jamo(cp: char) -> bool {
    matches!(
        CodePointMapData::<HangulSyllableType>::new().get(cp),
        HangulSyllableType::LeadingJamo
            | HangulSyllableType::VowelJamo
            | HangulSyllableType::TrailingJamo
    )
}

/// Checks every non-ASCII code point of a U-label: its derived property, and for CONTEXTO
/// its rule. Returns the byte offset of the first one refused, the code point and why.
///
/// ASCII is left to the LDH checks of the caller (which, as this crate documents, accept
/// ASCII letters in either case inside a U-label); CONTEXTJ to the `idna` crate.
pub(crate) fn check_u_label(label: &str) -> Result<(), (usize, char, IdnaProblem)> {
    for (i, cp) in label.char_indices().filter(|(_, c)| !c.is_ascii()) {
        let problem = match derived_property(cp) {
            DerivedProperty::Pvalid | DerivedProperty::ContextJ => None,
            DerivedProperty::ContextO if context_o_holds(label, i, cp) => None,
            DerivedProperty::ContextO => Some(IdnaProblem::Context),
            DerivedProperty::Disallowed => Some(IdnaProblem::Disallowed),
            DerivedProperty::Unassigned => Some(IdnaProblem::Unassigned),
        };
        if let Some(problem) = problem {
            return Err((i, cp, problem));
        }
    }
    Ok(())
}

/// The CONTEXTO rules of RFC 5892 Appendix A.3-A.9 for `cp`, found at byte `at` of `label`.
fn context_o_holds(label: &str, at: usize, cp: char) -> bool {
    let before = label.get(..at).and_then(|s| s.chars().next_back());
    let after = label
        .get(at + cp.len_utf8()..)
        .and_then(|s| s.chars().next());
    let script = |c: Option<char>| c.map(|c| CodePointMapData::<Script>::new().get(c));
    match cp {
        // A.3 MIDDLE DOT: between two `l` (the Catalan ela geminada); either case, as this
        // crate takes ASCII letters in a U-label (the A-label is the same).
        '\u{00B7}' => {
            let ell = |c: Option<char>| c.is_some_and(|c| c.eq_ignore_ascii_case(&'l'));
            ell(before) && ell(after)
        }
        // A.4 GREEK LOWER NUMERAL SIGN (KERAIA): followed by Greek.
        '\u{0375}' => script(after) == Some(Script::Greek),
        // A.5-A.6 HEBREW PUNCTUATION GERESH and GERSHAYIM: preceded by Hebrew.
        '\u{05F3}' | '\u{05F4}' => script(before) == Some(Script::Hebrew),
        // A.7 KATAKANA MIDDLE DOT: the label holds Hiragana, Katakana or Han.
        '\u{30FB}' => label.chars().any(|c| {
            c != '\u{30FB}'
                && matches!(
                    script(Some(c)),
                    Some(Script::Hiragana | Script::Katakana | Script::Han)
                )
        }),
        // A.8-A.9 ARABIC-INDIC and EXTENDED ARABIC-INDIC DIGITS: never both in one label.
        '\u{0660}'..='\u{0669}' => !label.chars().any(|c| matches!(c, '\u{06F0}'..='\u{06F9}')),
        '\u{06F0}'..='\u{06F9}' => !label.chars().any(|c| matches!(c, '\u{0660}'..='\u{0669}')),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::DerivedProperty as D;
    use super::*;

    /// Known answers from the IANA registry "IDNA Rules and Derived Property Values"
    /// (Unicode 12.0.0), one or more per category of RFC 5892 §2, and values that have not
    /// changed in any Unicode version since.
    #[test]
    fn derived_property_known_answers() {
        let table = [
            ('-', D::Pvalid),
            ('0', D::Pvalid),
            ('z', D::Pvalid),
            ('A', D::Disallowed), // B: case folding changes it.
            ('.', D::Disallowed),
            ('\u{00B7}', D::ContextO),
            ('\u{00DF}', D::Pvalid), // F: case folding would disallow it.
            ('\u{00E0}', D::Pvalid),
            ('\u{00F7}', D::Disallowed), // Sm.
            ('\u{0100}', D::Disallowed), // Lu.
            ('\u{0101}', D::Pvalid),
            ('\u{0132}', D::Disallowed), // NFKC changes the ligature.
            ('\u{03C2}', D::Pvalid),     // final sigma, F.
            ('\u{0640}', D::Disallowed), // tatweel, F.
            ('\u{0660}', D::ContextO),
            ('\u{06F5}', D::ContextO),
            ('\u{00AD}', D::Disallowed), // soft hyphen: default ignorable.
            ('\u{1100}', D::Disallowed), // Hangul choseong kiyeok: I.
            ('\u{11A8}', D::Disallowed), // Hangul jongseong kiyeok: I.
            ('\u{AC00}', D::Pvalid),     // a precomposed syllable (LV) stays.
            ('\u{200C}', D::ContextJ),
            ('\u{200D}', D::ContextJ),
            ('\u{2028}', D::Disallowed),
            ('\u{20D0}', D::Disallowed), // D: a combining mark in an ignorable block.
            ('\u{1D165}', D::Disallowed), // D: musical symbol combining stem (Mc).
            ('\u{2603}', D::Disallowed), // So.
            ('\u{2665}', D::Disallowed),
            ('\u{1F600}', D::Disallowed),
            ('\u{3002}', D::Disallowed), // the ideographic full stop UTS #46 maps to '.'.
            ('\u{3007}', D::Pvalid),
            ('\u{302E}', D::Disallowed),
            ('\u{30FB}', D::ContextO),
            ('\u{FDD0}', D::Disallowed), // a noncharacter: C, not J.
            ('\u{FFFF}', D::Disallowed),
            ('\u{E000}', D::Disallowed), // private use.
            ('\u{0378}', D::Unassigned),
            ('\u{10FFFD}', D::Disallowed), // private use plane 16.
            ('\u{E0080}', D::Unassigned),
        ];
        for (cp, want) in table {
            assert_eq!(derived_property(cp), want, "U+{:04X}", u32::from(cp));
        }
    }

    #[test]
    fn context_o_rules() {
        let ok = [
            "l\u{00B7}l",               // A.3
            "L\u{00B7}L",               // ASCII in either case
            "\u{0375}\u{03B1}",         // A.4: keraia then alpha
            "\u{05D0}\u{05F3}",         // A.5: alef then geresh
            "\u{05D0}\u{05F4}\u{05D1}", // A.6
            "\u{30A2}\u{30FB}\u{30A4}", // A.7 with Katakana
            "\u{4E00}\u{30FB}",         // A.7 with Han
            "\u{0628}\u{0661}",         // A.8
            "\u{0628}\u{06F1}",         // A.9
        ];
        for label in ok {
            assert_eq!(check_u_label(label), Ok(()), "{label:?}");
        }
        let refused = [
            ("a\u{00B7}l", 1, '\u{00B7}'),
            ("l\u{00B7}", 1, '\u{00B7}'),
            ("\u{0375}a", 0, '\u{0375}'),
            ("a\u{05F3}", 1, '\u{05F3}'),
            ("\u{05F4}\u{05D0}", 0, '\u{05F4}'),
            ("\u{30FB}", 0, '\u{30FB}'),
            ("ab\u{30FB}", 2, '\u{30FB}'),
            ("\u{0628}\u{0661}\u{06F1}", 2, '\u{0661}'),
            ("\u{0628}\u{06F1}\u{0661}", 2, '\u{06F1}'),
        ];
        for (label, at, cp) in refused {
            assert_eq!(
                check_u_label(label),
                Err((at, cp, IdnaProblem::Context)),
                "{label:?}"
            );
        }
    }

    #[test]
    fn check_u_label_names_the_first_refused_code_point() {
        assert_eq!(
            check_u_label("b\u{00FC}cher\u{2603}x\u{2665}"),
            Err((7, '\u{2603}', IdnaProblem::Disallowed))
        );
        assert_eq!(
            check_u_label("a\u{0378}"),
            Err((1, '\u{0378}', IdnaProblem::Unassigned))
        );
        // ASCII is the caller's: an upper-case letter is not reported here.
        assert_eq!(check_u_label("B\u{00FC}cher"), Ok(()));
    }
}
