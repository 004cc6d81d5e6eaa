//! Turns serde's "unknown field" into advice: the section the key sits in and the
//! nearest valid key ("did you mean `max_flows`?"). serde lists the valid keys in its
//! message (`unknown field `x`, expected one of `a`, `b``), so nothing here has to be
//! kept in step with the config structs.

/// The section a byte offset of the TOML text falls in: the last `[table]` or
/// `[[array]]` header before it, or `None` at the top level.
pub fn section_at(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset).unwrap_or(text);
    before.lines().rev().find_map(|line| {
        let l = line.trim();
        let inner = l.strip_prefix('[')?;
        let inner = inner.strip_prefix('[').unwrap_or(inner);
        let end = inner.find(']')?;
        Some(inner.get(..end)?.trim().to_string())
    })
}

/// For an unknown-key message, the rewritten message; `None` for any other message.
pub fn unknown_key(message: &str, section: Option<&str>) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (key, rest) = rest.split_once('`')?;
    let expected: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    let what = match section {
        Some(s) => format!("unknown key `{key}` in [{s}]"),
        None => format!("unknown section or key `{key}` at the top level"),
    };
    let Some(best) = nearest(key, &expected) else {
        return Some(if expected.is_empty() {
            what
        } else {
            format!("{what}; valid keys: {}", quoted(&expected))
        });
    };
    let best = match section {
        None => format!("[{best}]"),
        Some(_) => best.to_string(),
    };
    Some(format!(
        "{what}; did you mean `{best}`? (valid: {})",
        quoted(&expected)
    ))
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
            Some("flows"),
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
            Some("pipeline"),
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
        assert_eq!(section_at(t, 3), None);
        assert_eq!(
            section_at(t, t.find("x =").unwrap()).as_deref(),
            Some("detect.policy")
        );
        assert_eq!(
            section_at(t, t.find("name").unwrap()).as_deref(),
            Some("detect.policy.zones")
        );
    }
}
