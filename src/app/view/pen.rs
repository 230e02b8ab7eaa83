//! The drawing pad's keyboard pen ([`crate::app::widgets::pad`] draws with it): where it is on
//! the pad and what each key does to it and to the view's strokes.

use crate::app::view::state::quantize;

/// The keyboard's pen: where it is and whether it is down (drawing as it moves).
#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) struct Pen {
    /// Where it is, as a fraction of the pad's side.
    pub(crate) at: (f32, f32),
    /// Drawing as it moves.
    pub(crate) down: bool,
}

impl Pen {
    /// Lifted, in the middle of the pad (on the grid links encode: [`quantize`]).
    pub(crate) const START: Pen = Pen { at: (128.0 / 255.0, 128.0 / 255.0), down: false };
}

/// One arrow key's step: about a pixel of the model's 28×28 input (Shift: four), a whole number
/// of the link's 1/255 steps, so that steps do not drift.
const KEY_STEP: f32 = 9.0 / 255.0;

/// What a key does to the pen and the strokes; `false` when the key is not the pad's: arrows
/// move the pen (drawing while it is down), Space or Enter put it down (a new stroke) or lift
/// it, Escape lifts it, Backspace or Delete take the last stroke back.
pub(crate) fn pen_key(pen: &mut Pen, strokes: &mut Vec<Vec<(f32, f32)>>, key: &str, shift: bool) -> bool {
    let step = if shift { 4.0 * KEY_STEP } else { KEY_STEP };
    let (dx, dy) = match key {
        "ArrowLeft" => (-step, 0.0),
        "ArrowRight" => (step, 0.0),
        "ArrowUp" => (0.0, -step),
        "ArrowDown" => (0.0, step),
        " " | "Enter" => {
            pen.down = !pen.down;
            if pen.down {
                strokes.push(vec![pen.at]);
            }
            return true;
        }
        "Escape" => {
            pen.down = false;
            return true;
        }
        "Backspace" | "Delete" => {
            strokes.pop();
            pen.down = false;
            return true;
        }
        _ => return false,
    };
    pen.at = (quantize((pen.at.0 + dx).clamp(0.0, 1.0)), quantize((pen.at.1 + dy).clamp(0.0, 1.0)));
    if pen.down {
        match strokes.last_mut() {
            Some(stroke) => stroke.push(pen.at),
            None => strokes.push(vec![pen.at]),
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrows_move_the_pen_and_draw_only_while_it_is_down() {
        let mut pen = Pen::START;
        let mut strokes = Vec::new();
        assert!(pen_key(&mut pen, &mut strokes, "ArrowRight", false));
        assert!(strokes.is_empty(), "a lifted pen draws nothing");
        assert!((pen.at.0 - 137.0 / 255.0).abs() < 1e-6);
        assert!(pen_key(&mut pen, &mut strokes, " ", false));
        assert!(pen.down);
        assert_eq!(strokes.len(), 1);
        for _ in 0..3 {
            pen_key(&mut pen, &mut strokes, "ArrowDown", true);
        }
        assert_eq!(strokes[0].len(), 4, "each move adds a point");
        assert!((strokes[0][3].1 - (128.0 + 3.0 * 36.0) / 255.0).abs() < 1e-6, "Shift moves four pixels");
        pen_key(&mut pen, &mut strokes, "Enter", false);
        assert!(!pen.down);
        pen_key(&mut pen, &mut strokes, "ArrowLeft", false);
        assert_eq!(strokes[0].len(), 4, "lifted again");
    }

    #[test]
    fn the_pen_stays_on_the_pad_and_backspace_takes_a_stroke_back() {
        let mut pen = Pen::START;
        let mut strokes = vec![vec![(0.1, 0.1)]];
        pen_key(&mut pen, &mut strokes, " ", false);
        for _ in 0..40 {
            pen_key(&mut pen, &mut strokes, "ArrowUp", true);
        }
        assert_eq!(pen.at.1, 0.0);
        assert_eq!(strokes.len(), 2);
        assert!(pen_key(&mut pen, &mut strokes, "Backspace", false));
        assert_eq!(strokes, vec![vec![(0.1, 0.1)]]);
        assert!(!pen.down);
        assert!(!pen_key(&mut pen, &mut strokes, "Tab", false), "Tab leaves the pad");
        assert!(!pen_key(&mut pen, &mut strokes, "a", false));
    }
}
