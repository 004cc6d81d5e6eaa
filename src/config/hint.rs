//! Turns serde's "unknown field" into advice: the section the key sits in and the
//! nearest valid key ("did you mean `max_flows`?"). serde lists the valid keys in its
//! message (`unknown field `x`, expected one of `a`, `b``), so nothing here has to be
//! kept in step with the config structs.

/// Where a byte offset of the TOML text falls: the section of the key there (the last
/// `[table]` or `[[array]]` header before it, `None` at the top level), and whether the
/// offset is inside a header itself (then the unknown name is a sub-section, and the
/// section is the header's part before it).
pub fn section_at(text: &str, offset: usize) -> (Option<String>, bool) {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text.get(line_start..).unwrap_or("");
    let line = line.split('\n').next().unwrap_or("");
    if header(line).is_some() {
        // `[detect.polcy]` with the error at `polcy`: the section is `detect`.
        let col = offset.saturating_sub(line_start);
        let upto = line.get(..col).unwrap_or("");
        let parent = upto
            .trim_start()
            .trim_start_matches('[')
            .trim_end_matches('.');
        let parent = parent.trim();
        return ((!parent.is_empty()).then(|| parent.to_string()), true);
    }
    let section = before
        .get(..line_start)
        .unwrap_or("")
        .lines()
        .rev()
        .find_map(header);
    (section, false)
}

/// The dotted name of a `[table]` or `[[array]]` header line.
fn header(line: &str) -> Option<String> {
    let inner = line.trim().strip_prefix('[')?;
    let inner = inner.strip_prefix('[').unwrap_or(inner);
    let end = inner.find(']')?;
    Some(inner.get(..end)?.trim().to_string())
}

/// For an unknown-key message, the rewritten message; `None` for any other message.
pub fn unknown_key(message: &str, (section, in_header): (Option<&str>, bool)) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (key, rest) = rest.split_once('`')?;
    let expected: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    let what = match (section, in_header) {
        (Some(s), true) => format!("unknown section [{s}.{key}]"),
        (Some(s), false) => format!("unknown key `{key}` in [{s}]"),
        (None, true) => format!("unknown section [{key}]"),
        (None, false) => format!("unknown section or key `{key}` at the top level"),
    };
    let Some(best) = nearest(key, &expected) else {
        return Some(if expected.is_empty() {
            what
        } else {
            format!("{what}; valid keys: {}", quoted(&expected))
        });
    };
    let best = match (section, in_header) {
        (Some(s), true) => format!("[{s}.{best}]"),
        (None, _) => format!("[{best}]"),
        (Some(_), false) => best.to_string(),
    };
    Some(format!(
        "{what}; did you mean `{best}`? (valid: {})",
        quoted(&expected)
    ))
}

/// For the detect crate's "unknown rule id (known: a, b, ...)" about `[detect.rules.ID]`,
/// the message with the nearest rule id suggested; `None` for any other message.
pub fn unknown_rule(key: &str, message: &str) -> Option<String> {
    let id = key.strip_prefix("rules.")?;
    let known = message
        .strip_prefix("unknown rule id (known: ")?
        .strip_suffix(')')?;
    let known: Vec<&str> = known.split(", ").collect();
    let best = nearest(id, &known)?;
    Some(format!("{message}; did you mean [detect.rules.{best}]?"))
}

/// The valid key closest to `key`, when it is close enough to be a likely typo: at most
/// a third of the longer name differs (Damerau-Levenshtein, so a swap counts once), or
/// one is a prefix of the other.
fn nearest<'a>(key: &str, valid: &[&'a str]) -> Option<&'a str> {
    let key_l = key.to_ascii_lowercase();
    valid
        .iter()
        .map(|v| (strsim::damerau_levenshtein(&key_l, v), *v))
        .filter(|(d, v)| {
            let longer = key_l.chars().count().max(v.chars().count());
            *d * 3 <= longer.max(3) || v.starts_with(&key_l) || key_l.starts_with(v)
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v)
}

fn quoted(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_gets_the_nearest_key_and_its_section() {
        let m = unknown_key(
            "unknown field `max_flow`, expected one of `max_flows`, `tcp_idle_timeout`",
            (Some("flows"), false),
        )
        .unwrap();
        assert_eq!(
            m,
            "unknown key `max_flow` in [flows]; did you mean `max_flows`? \
             (valid: `max_flows`, `tcp_idle_timeout`)"
        );
    }

    #[test]
    fn a_far_key_gets_the_list_without_a_guess() {
        let m = unknown_key(
            "unknown field `colour`, expected `workers`",
            (Some("pipeline"), false),
        )
        .unwrap();
        assert_eq!(
            m,
            "unknown key `colour` in [pipeline]; valid keys: `workers`"
        );
    }

    #[test]
    fn sections_come_from_the_last_header() {
        let t = "a = 1\n[detect.policy]\nx = 1\n[[detect.policy.zones]]\nname = 1\n";
        assert_eq!(section_at(t, 3), (None, false));
        let at = |k: &str| section_at(t, t.find(k).unwrap());
        assert_eq!(at("x ="), (Some("detect.policy".into()), false));
        assert_eq!(at("name"), (Some("detect.policy.zones".into()), false));
        // Inside a header: the unknown part is a sub-section of what precedes it.
        let t = "[detect.polcy]\n";
        assert_eq!(section_at(t, 8), (Some("detect".into()), true));
        assert_eq!(section_at("[flow]\n", 1), (None, true));
    }

    #[test]
    fn a_misspelt_rule_id_gets_the_nearest_rule() {
        let m = unknown_rule(
            "rules.internet_egres",
            "unknown rule id (known: internet_egress, internet_ingress, vpn)",
        )
        .unwrap();
        assert!(
            m.ends_with("; did you mean [detect.rules.internet_egress]?"),
            "{m}"
        );
    }
}
