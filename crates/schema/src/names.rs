//! What each engine does with a name: here, how PostgreSQL shortens the names it makes up for
//! constraints written without one, so that the model expects the name the server really gives.

/// PostgreSQL's longest name, in bytes.
const POSTGRES_MAX_BYTES: usize = 63;

/// The name PostgreSQL makes of two parts and a label (`makeObjectName`): `name1_name2_label`,
/// where the longer of the two parts loses a byte at a time until the whole fits in 63 bytes,
/// and no character is cut in half.
pub fn postgres_object_name(name1: &str, name2: Option<&str>, label: &str) -> String {
    let overhead = name2.map_or(0, |_| 1) + label.len() + 1;
    let available = POSTGRES_MAX_BYTES.saturating_sub(overhead);
    let (mut keep1, mut keep2) = (name1.len(), name2.map_or(0, str::len));
    while keep1 + keep2 > available {
        if keep1 > keep2 {
            keep1 -= 1;
        } else {
            keep2 -= 1;
        }
    }
    let mut name = clipped(name1, keep1).to_string();
    if let Some(name2) = name2 {
        name.push('_');
        name.push_str(clipped(name2, keep2));
    }
    name.push('_');
    name.push_str(label);
    name
}

/// The longest prefix of `text` of at most `bytes` bytes that ends on a character boundary.
fn clipped(text: &str, bytes: usize) -> &str {
    let mut end = bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_shortens_the_longer_part_first_as_the_server_does() {
        // Names read back from PostgreSQL 16 after creating these constraints without names.
        let table = "a".repeat(60);
        let fkey = postgres_object_name(&table, Some(&"c".repeat(40)), "fkey");
        assert_eq!(fkey, format!("{}_{}_fkey", "a".repeat(29), "c".repeat(28)));
        assert_eq!(postgres_object_name(&table, None, "pkey"), format!("{}_pkey", "a".repeat(58)));
        assert_eq!(postgres_object_name(&table, Some("x"), "check"), format!("{}_x_check", "a".repeat(55)));
        let accented = "é".repeat(31);
        assert_eq!(postgres_object_name(&accented, None, "pkey"), format!("{}_pkey", "é".repeat(29)));
        assert_eq!(postgres_object_name("t", Some("a_b"), "key"), "t_a_b_key");
    }
}
