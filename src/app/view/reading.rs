//! Which digit an image looks like, in words, for the names of canvases and what is announced:
//! the digit classifier's ten probabilities (`widgets::reading` asks for them) as plain text.

/// The words for the classifier's ten probabilities of one image: "looks like a 7" where one
/// digit has most of it, "looks most like a 7, a little like a 9" where it is split, "looks like
/// no digit clearly (most like a 7 or a 9)" where none stands out. `None` unless ten values.
pub(crate) fn looks_like(probabilities: &[f32]) -> Option<String> {
    if probabilities.len() != 10 {
        return None;
    }
    let mut order: Vec<usize> = (0..10).collect();
    order.sort_by(|&a, &b| probabilities[b].total_cmp(&probabilities[a]));
    let (first, second) = (order[0], order[1]);
    let top = probabilities[first];
    Some(if top >= 0.75 {
        format!("looks like {}", a_digit(first))
    } else if top >= 0.4 {
        format!("looks most like {}, a little like {}", a_digit(first), a_digit(second))
    } else {
        format!("looks like no digit clearly (most like {} or {})", a_digit(first), a_digit(second))
    })
}

/// A digit's name with its reading after it, when there is one: "The picked digit …; it looks
/// like a 7".
pub(crate) fn named(name: impl std::fmt::Display, looks: Option<String>) -> String {
    match looks {
        Some(words) => format!("{name}; it {words}"),
        None => name.to_string(),
    }
}

fn a_digit(digit: usize) -> String {
    if digit == 8 { "an 8".into() } else { format!("a {digit}") }
}

#[cfg(test)]
mod tests {
    use super::looks_like;

    fn sure(digit: usize, p: f32) -> Vec<f32> {
        let mut v = vec![(1.0 - p) / 9.0; 10];
        v[digit] = p;
        v
    }

    #[test]
    fn says_the_digit_it_is_sure_of_and_hedges_otherwise() {
        assert_eq!(looks_like(&sure(7, 0.95)).as_deref(), Some("looks like a 7"));
        assert_eq!(looks_like(&sure(8, 0.9)).as_deref(), Some("looks like an 8"));
        let mut split = vec![0.0; 10];
        split[4] = 0.55;
        split[9] = 0.4;
        split[1] = 0.05;
        assert_eq!(looks_like(&split).as_deref(), Some("looks most like a 4, a little like a 9"));
        let mut flat = vec![0.1; 10];
        flat[3] = 0.12;
        flat[5] = 0.11;
        assert_eq!(looks_like(&flat).as_deref(), Some("looks like no digit clearly (most like a 3 or a 5)"));
        assert_eq!(looks_like(&[1.0; 3]), None);
        assert_eq!(super::named("The picked digit", Some("looks like a 7".into())), "The picked digit; it looks like a 7");
        assert_eq!(super::named("The picked digit", None), "The picked digit");
    }
}
