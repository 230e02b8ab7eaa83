//! Share links: the whole view in the page's query string, and back. Pure Rust, no browser
//! types, so it is tested natively (property tests included). A link is input from strangers:
//! every value is checked before use, and what cannot be used is left out with a note, so a
//! truncated, hand-edited or older link opens the nearest valid view.
//!
//! Parameters (each only when it differs from the default view, so links stay short):
//! `backend` (`cpu` / `webgpu`, only when the link forces one), `embed` (the one mode shown alone,
//! for an `<iframe>`: `embed=MODE` stands for `m`), `m` mode, `v` variant, `d` the
//! drawing, `src` the inpainting / Compare source (`t<test index>`, `draw`,
//! `g.<variant>.<seed>.<temperature>.<tile>`), `mask` (784 bits), `steps`, `seed`, `t`
//! (temperature), `pick` (Generate tile), `z` (latent point), `ends` (interpolation digits), `eps`
//! (the Inside mode's ε seed), `look` (its enlarged map, `<stage>.<channel>`), `tour` (the guided
//! tour's step: the view is then written on top of the step's, so a step's link is `tour=N`).

use std::ops::RangeInclusive;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::app::view::state::{GENERATE_TILES, InpaintSource, Mode, PriorSample, Stroke, ViewState, pen_byte};
use crate::app::view::tour::{self, step_view};
use crate::data::PIXELS;
use crate::study::Variant;

/// Images in the MNIST test set (test-digit indices are below it).
pub(crate) const TEST_DIGITS: usize = 10_000;
/// Rounds of iterative inpainting a link may ask for (the slider's range).
pub(crate) const STEPS: RangeInclusive<usize> = 1..=50;
/// Prior temperatures a link may ask for (the slider's range).
pub(crate) const TEMPERATURE: RangeInclusive<f32> = 0.1..=2.0;
/// Largest |coordinate| of a latent point (the sliders reach ±3).
pub(crate) const LATENT_LIMIT: f32 = 4.0;
/// Most strokes and pen points a drawing in a link may have.
const MAX_STROKES: usize = 1_000;
const MAX_POINTS: usize = 50_000;

/// A backend the link insists on (`?backend=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ForcedBackend {
    /// `cpu`.
    Cpu,
    /// `webgpu`.
    WebGpu,
}

impl ForcedBackend {
    fn name(self) -> &'static str {
        match self {
            ForcedBackend::Cpu => "cpu",
            ForcedBackend::WebGpu => "webgpu",
        }
    }
}

/// What a link says about the page rather than the view; every link written after it keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Frame {
    /// The backend the link forces, if any.
    pub(crate) backend: Option<ForcedBackend>,
    /// `embed=MODE`: the mode alone, without the header and tabs (a course page's `<iframe>`).
    pub(crate) embed: bool,
}

/// What a link opens.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Link {
    /// The view, every value valid.
    pub(crate) state: ViewState,
    /// The backend it forces, whether it is embedded.
    pub(crate) frame: Frame,
    /// One note per part of the link that could not be used (empty for a good link).
    pub(crate) dropped: Vec<String>,
}

/// The query string (without `?`) that opens `state`; empty for the default view.
pub(crate) fn encode(state: &ViewState, frame: Frame) -> String {
    // What the link is written on top of: the tour step's view, else the default view.
    let default = state.tour.and_then(step_view).unwrap_or_default();
    let mut out = form_urlencoded::Serializer::new(String::new());
    if let Some(b) = frame.backend {
        out.append_pair("backend", b.name());
    }
    if frame.embed {
        out.append_pair("embed", state.mode.id());
    }
    if let Some(n) = state.tour {
        out.append_pair("tour", &n.to_string());
    }
    if state.mode != default.mode && !frame.embed {
        out.append_pair("m", state.mode.id());
    }
    if state.variant != default.variant {
        out.append_pair("v", &state.variant.key());
    }
    if !state.strokes.is_empty() {
        out.append_pair("d", &encode_strokes(&state.strokes));
    }
    if state.source != default.source {
        out.append_pair("src", &encode_source(&state.source));
    }
    if state.mask != default.mask {
        out.append_pair("mask", &encode_mask(&state.mask));
    }
    if state.steps != default.steps {
        out.append_pair("steps", &state.steps.to_string());
    }
    if state.seed != default.seed {
        out.append_pair("seed", &state.seed.to_string());
    }
    if state.temperature != default.temperature {
        out.append_pair("t", &state.temperature.to_string());
    }
    if let Some(tile) = state.picked {
        out.append_pair("pick", &tile.to_string());
    }
    if state.latent.iter().any(|&v| v != 0.0) {
        let z: Vec<String> = state.latent.iter().map(f32::to_string).collect();
        out.append_pair("z", &z.join(","));
    }
    if state.ends != default.ends {
        out.append_pair("ends", &format!("{}.{}", state.ends.0, state.ends.1));
    }
    if state.eps_seed != default.eps_seed {
        out.append_pair("eps", &state.eps_seed.to_string());
    }
    if let Some((stage, channel)) = state.look {
        out.append_pair("look", &format!("{stage}.{channel}"));
    }
    out.finish()
}

/// The link's parts: key and what it sets, in words.
const PARTS: [(&str, &str); 16] = [
    ("backend", "the backend"),
    ("embed", "the embedded mode"),
    ("tour", "the tour's step"),
    ("v", "the model"),
    ("m", "the mode"),
    ("d", "the drawing"),
    ("src", "the digit to inpaint"),
    ("mask", "the inpainting mask"),
    ("steps", "the number of steps"),
    ("seed", "the seed"),
    ("t", "the temperature"),
    ("pick", "the picked digit"),
    ("z", "the latent point"),
    ("ends", "the interpolation's digits"),
    ("eps", "the ε seed"),
    ("look", "the enlarged map"),
];

/// The view a query string (with or without `?`) opens. Never fails: each unusable part is left
/// at its default and named in [`Link::dropped`].
pub(crate) fn decode(query: &str) -> Link {
    let query = query.strip_prefix('?').unwrap_or(query);
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let mut dropped = Vec::new();
    let mut note = |what: &str, why: String| dropped.push(format!("{what} ({why})"));
    // A tour step's link starts from the step's view.
    let mut state = match get("tour") {
        None => ViewState::default(),
        Some(n) => match n.parse::<usize>().ok().and_then(step_view) {
            Some(state) => state,
            None => {
                note("the tour's step", format!("`{}` is not a step of the tour (1 to {})", short(n), tour::STEPS.len()));
                ViewState::default()
            }
        },
    };

    // A part given twice (a hand-edited link): the first is used, the others named.
    for (key, what) in PARTS {
        let values: Vec<&str> = pairs.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect();
        if let [first, rest @ ..] = values.as_slice()
            && !rest.is_empty()
        {
            let others: Vec<String> = rest.iter().map(|v| format!("`{}`", short(v))).collect();
            note(what, format!("`{key}` is given {} times: the first, `{}`, is used, not {}", values.len(), short(first), others.join(", ")));
        }
    }

    let backend = match get("backend") {
        None => None,
        Some("cpu") => Some(ForcedBackend::Cpu),
        Some("webgpu") => Some(ForcedBackend::WebGpu),
        Some(other) => {
            note("the backend", format!("`{}` is neither cpu nor webgpu", short(other)));
            None
        }
    };
    if let Some(v) = get("v") {
        match Variant::from_key(v) {
            Some(variant) => state.set_variant(variant),
            None => note("the model", format!("there is no model `{}`", short(v))),
        }
    }
    if let Some(m) = get("m") {
        match Mode::from_id(m) {
            Some(mode) => state.mode = mode,
            None => note("the mode", format!("there is no mode `{}`", short(m))),
        }
    }
    let mut embed = false;
    if let Some(m) = get("embed") {
        match Mode::from_id(m) {
            Some(mode) => {
                state.mode = mode;
                embed = true;
            }
            None => note("the embedded mode", format!("there is no mode `{}`", short(m))),
        }
    }
    if let Some(d) = get("d") {
        match decode_strokes(d) {
            Ok(strokes) => state.strokes = strokes,
            Err(e) => note("the drawing", e),
        }
    }
    if let Some(src) = get("src") {
        match decode_source(src) {
            Ok(source) => state.source = source,
            Err(e) => note("the digit to inpaint", e),
        }
    }
    if let Some(mask) = get("mask") {
        match decode_mask(mask) {
            Ok(mask) => state.mask = mask,
            Err(e) => note("the inpainting mask", e),
        }
    }
    if let Some(steps) = get("steps") {
        match in_range(steps.parse::<usize>().ok(), &STEPS) {
            Some(n) => state.steps = n,
            None => note("the number of steps", format!("`{}` is not a whole number from 1 to 50", short(steps))),
        }
    }
    if let Some(seed) = get("seed") {
        match seed.parse::<u64>() {
            Ok(n) => state.seed = n,
            Err(_) => note("the seed", format!("`{}` is not a whole number", short(seed))),
        }
    }
    if let Some(t) = get("t") {
        match in_range(t.parse::<f32>().ok(), &TEMPERATURE) {
            Some(t) => state.temperature = t,
            None => note("the temperature", format!("`{}` is not a number from 0.1 to 2", short(t))),
        }
    }
    if let Some(pick) = get("pick") {
        match pick.parse::<usize>() {
            Ok(tile) if tile < GENERATE_TILES => state.picked = Some(tile),
            _ => note("the picked digit", format!("`{}` is not a tile of the grid", short(pick))),
        }
    }
    if let Some(z) = get("z") {
        match decode_latent(z, state.variant.latent_dim()) {
            Ok(z) => state.latent = z,
            Err(e) => note("the latent point", e),
        }
    }
    if let Some(ends) = get("ends") {
        match ends.split_once('.').map(|(a, b)| (test_index(a), test_index(b))) {
            Some((Ok(a), Ok(b))) => state.ends = (a, b),
            _ => note("the interpolation's digits", format!("`{}` is not two test digits", short(ends))),
        }
    }
    if let Some(eps) = get("eps") {
        match eps.parse::<u64>() {
            Ok(n) => state.eps_seed = n,
            Err(_) => note("the ε seed", format!("`{}` is not a whole number", short(eps))),
        }
    }
    if let Some(look) = get("look") {
        match decode_look(look, state.variant) {
            Ok(look) => state.look = Some(look),
            Err(e) => note("the enlarged map", e),
        }
    }
    Link { state, frame: Frame { backend, embed }, dropped }
}

/// The first characters of a value, for a note (a mangled link may hold anything).
fn short(value: &str) -> String {
    let mut s: String = value.chars().take(24).collect();
    if value.chars().count() > 24 {
        s.push('…');
    }
    s
}

fn in_range<T: PartialOrd + Copy>(value: Option<T>, range: &RangeInclusive<T>) -> Option<T> {
    value.filter(|v| range.contains(v))
}

fn test_index(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(i) if i < TEST_DIGITS => Ok(i),
        _ => Err(format!("`{}` is not an MNIST test digit (0 to 9999)", short(text))),
    }
}

/// A stage of `variant` and one of its maps (0 for a stage of plain numbers).
fn decode_look(text: &str, variant: Variant) -> Result<(usize, usize), String> {
    let bad = || format!("`{}` is not a map of this model", short(text));
    let (stage, channel) = text.split_once('.').ok_or_else(bad)?;
    let (stage, channel) = (stage.parse::<usize>().map_err(|_| bad())?, channel.parse::<usize>().map_err(|_| bad())?);
    let stages = crate::study::anatomy::stages(variant.architecture());
    let maps = match stages.get(stage).map(|s| s.shape) {
        Some(crate::study::anatomy::Shape::Maps { channels, .. }) => channels,
        Some(crate::study::anatomy::Shape::Vector(_)) => 1,
        None => 0,
    };
    if channel < maps { Ok((stage, channel)) } else { Err(bad()) }
}

fn encode_source(source: &InpaintSource) -> String {
    match source {
        InpaintSource::Test(i) => format!("t{i}"),
        InpaintSource::Drawing => "draw".into(),
        InpaintSource::Generated(s) => format!("g.{}.{}.{}.{}", s.variant.key(), s.seed, s.temperature, s.tile),
    }
}

fn decode_source(text: &str) -> Result<InpaintSource, String> {
    if text == "draw" {
        return Ok(InpaintSource::Drawing);
    }
    if let Some(index) = text.strip_prefix('t') {
        return test_index(index).map(InpaintSource::Test);
    }
    let bad = || format!("`{}` is not a test digit, the drawing or a generated digit", short(text));
    // g.<variant>.<seed>.<temperature>.<tile>; the temperature has a dot of its own.
    let parts: Vec<&str> = text.splitn(4, '.').collect();
    let ["g", variant, seed, rest] = parts[..] else { return Err(bad()) };
    let variant = Variant::from_key(variant).ok_or_else(bad)?;
    let seed = seed.parse::<u64>().map_err(|_| bad())?;
    let (temperature, tile) = rest.rsplit_once('.').ok_or_else(bad)?;
    let temperature = in_range(temperature.parse::<f32>().ok(), &TEMPERATURE).ok_or_else(bad)?;
    let tile = tile.parse::<usize>().ok().filter(|&t| t < GENERATE_TILES).ok_or_else(bad)?;
    Ok(InpaintSource::Generated(PriorSample { variant, seed, temperature, tile }))
}

fn encode_mask(mask: &[bool]) -> String {
    let mut bytes = vec![0u8; PIXELS.div_ceil(8)];
    for (i, &hidden) in mask.iter().enumerate().take(PIXELS) {
        if hidden {
            bytes[i / 8] |= 1 << (i % 8);
        }
    }
    URL_SAFE_NO_PAD.encode(bytes)
}

fn decode_mask(text: &str) -> Result<Vec<bool>, String> {
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| "it is not base64".to_string())?;
    if bytes.len() != PIXELS.div_ceil(8) {
        return Err(format!("{} bytes instead of {}", bytes.len(), PIXELS.div_ceil(8)));
    }
    Ok((0..PIXELS).map(|i| bytes[i / 8] & (1 << (i % 8)) != 0).collect())
}

fn decode_latent(text: &str, dim: usize) -> Result<Vec<f32>, String> {
    let values: Result<Vec<f32>, _> = text.split(',').map(str::parse::<f32>).collect();
    let values = values.map_err(|_| format!("`{}` is not a list of numbers", short(text)))?;
    if values.len() != dim {
        return Err(format!("{} numbers for a model with {dim} latent dimensions", values.len()));
    }
    if !values.iter().all(|v| v.is_finite() && v.abs() <= LATENT_LIMIT) {
        return Err(format!("coordinates beyond ±{LATENT_LIMIT}"));
    }
    Ok(values)
}

/// LEB128 of a zigzag-coded integer: pen moves between two events are small, one byte each.
fn push_varint(out: &mut Vec<u8>, value: i64) {
    let mut v = ((value << 1) ^ (value >> 63)) as u64;
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn read_varint(bytes: &[u8], at: &mut usize) -> Result<i64, String> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at).ok_or("it ends too early")?;
        *at += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok((v >> 1) as i64 ^ -((v & 1) as i64));
        }
    }
    Err("a number in it is too long".into())
}

/// Strokes as bytes: their count, then each stroke's point count, its first point and the moves
/// from point to point, every coordinate a byte of the 1/255 grid; base64url.
fn encode_strokes(strokes: &[Stroke]) -> String {
    let mut out = Vec::new();
    push_varint(&mut out, strokes.len() as i64);
    for stroke in strokes {
        push_varint(&mut out, stroke.len() as i64);
        let mut last = (0i64, 0i64);
        for &(x, y) in stroke {
            let p = (i64::from(pen_byte(x)), i64::from(pen_byte(y)));
            push_varint(&mut out, p.0 - last.0);
            push_varint(&mut out, p.1 - last.1);
            last = p;
        }
    }
    URL_SAFE_NO_PAD.encode(out)
}

fn decode_strokes(text: &str) -> Result<Vec<Stroke>, String> {
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| "it is not base64".to_string())?;
    let mut at = 0;
    let count = read_varint(&bytes, &mut at)?;
    if !(0..=MAX_STROKES as i64).contains(&count) {
        return Err(format!("{count} strokes"));
    }
    let mut strokes = Vec::with_capacity(count as usize);
    let mut total = 0usize;
    for _ in 0..count {
        let points = read_varint(&bytes, &mut at)?;
        if !(1..=MAX_POINTS as i64).contains(&points) || total + points as usize > MAX_POINTS {
            return Err("too many pen points".into());
        }
        total += points as usize;
        let mut stroke = Vec::with_capacity(points as usize);
        let mut p = (0i64, 0i64);
        for _ in 0..points {
            p.0 += read_varint(&bytes, &mut at)?;
            p.1 += read_varint(&bytes, &mut at)?;
            if !(0..=255).contains(&p.0) || !(0..=255).contains(&p.1) {
                return Err("a point lies outside the drawing area".into());
            }
            stroke.push((p.0 as f32 / 255.0, p.1 as f32 / 255.0));
        }
        strokes.push(stroke);
    }
    if at != bytes.len() {
        return Err("it has bytes left over".into());
    }
    Ok(strokes)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::app::view::state::quantize;

    fn sample_state() -> ViewState {
        let mut state = ViewState::default();
        state.set_variant(Variant::Latent10);
        state.mode = Mode::Explore;
        state.strokes = vec![
            (0..120).map(|k| (quantize(0.3 + k as f32 / 400.0), quantize(0.2 + (k as f32 / 20.0).sin() * 0.1))).collect(),
            vec![(quantize(0.5), quantize(0.5))],
        ];
        state.source = InpaintSource::Generated(PriorSample { variant: Variant::Mse, seed: 77, temperature: 0.85, tile: 63 });
        state.mask[3] = true;
        state.steps = 7;
        state.seed = u64::MAX;
        state.temperature = 0.35;
        state.picked = Some(5);
        state.latent = (0..10).map(|d| d as f32 * 0.123_456_7 - 0.5).collect();
        state.ends = (0, 9999);
        state.eps_seed = 123_456_789;
        state.look = Some((2, 63));
        state
    }

    #[test]
    fn a_view_round_trips_exactly_and_the_default_view_is_the_bare_page() {
        let state = sample_state();
        for backend in [None, Some(ForcedBackend::Cpu), Some(ForcedBackend::WebGpu)] {
            for embed in [false, true] {
                let frame = Frame { backend, embed };
                let link = decode(&encode(&state, frame));
                assert_eq!(link.dropped, Vec::<String>::new());
                assert_eq!((link.state, link.frame), (state.clone(), frame));
            }
        }
        assert_eq!(encode(&ViewState::default(), Frame::default()), "");
        assert_eq!(decode(""), Link { state: ViewState::default(), frame: Frame::default(), dropped: vec![] });
    }

    #[test]
    fn an_embed_link_names_its_mode_and_a_bad_one_falls_back_to_the_whole_page() {
        let link = decode("embed=generate&seed=7");
        assert_eq!((link.state.mode, link.state.seed, link.frame.embed), (Mode::Generate, 7, true));
        assert!(link.dropped.is_empty());
        // The default mode too: the frame says it is embedded.
        let mut state = ViewState::default();
        assert_eq!(encode(&state, Frame { backend: None, embed: true }), "embed=draw");
        state.mode = Mode::Report;
        assert_eq!(encode(&state, Frame { backend: None, embed: true }), "embed=report");
        let bad = decode("embed=nowhere");
        assert_eq!((bad.state.mode, bad.frame.embed), (ViewState::default().mode, false));
        assert_eq!(bad.dropped, vec!["the embedded mode (there is no mode `nowhere`)".to_string()]);
    }

    #[test]
    fn a_typical_drawing_makes_a_short_link() {
        // A digit of 3 strokes and 150 pen events, as the page records them.
        let mut state = ViewState::default();
        state.strokes = (0..3)
            .map(|s| (0..50).map(|k| (quantize(0.2 + 0.012 * k as f32), quantize(0.3 + 0.1 * s as f32 + 0.004 * k as f32))).collect())
            .collect();
        let query = encode(&state, Frame::default());
        assert!(query.len() < 500, "{} characters: {query}", query.len());
    }

    #[test]
    fn mangled_parts_are_dropped_with_a_note_and_the_rest_is_kept() {
        let good = encode(&sample_state(), Frame::default());
        // Truncated in the middle of the drawing: the drawing goes, the mode and model stay.
        let cut = &good[..good.find("d=").unwrap() + 12];
        let link = decode(cut);
        assert_eq!((link.state.mode, link.state.variant), (Mode::Explore, Variant::Latent10));
        assert!(link.state.strokes.is_empty());
        assert_eq!(link.dropped.len(), 1, "{:?}", link.dropped);
        for (query, what) in [
            ("v=huge", "the model"),
            ("m=dance", "the mode"),
            ("steps=100000000", "the number of steps"),
            ("steps=0", "the number of steps"),
            ("t=NaN", "the temperature"),
            ("seed=-1", "the seed"),
            ("src=t10000", "the digit to inpaint"),
            ("src=g.baseline.1.0.8.64", "the digit to inpaint"),
            ("mask=AAAA", "the inpainting mask"),
            ("z=1,2,3", "the latent point"),
            ("z=inf,0", "the latent point"),
            ("pick=64", "the picked digit"),
            ("ends=1.2.3", "the interpolation's digits"),
            ("eps=x", "the ε seed"),
            ("look=2.64", "the enlarged map"),
            ("look=99.0", "the enlarged map"),
            ("look=1", "the enlarged map"),
            ("tour=0", "the tour's step"),
            ("tour=12", "the tour's step"),
            ("backend=quantum", "the backend"),
            ("seed=31337&seed=99", "the seed"),
            ("m=inpaint&m=draw", "the mode"),
        ] {
            let link = decode(query);
            assert!(link.dropped.len() == 1 && link.dropped[0].starts_with(what), "{query}: {:?}", link.dropped);
            assert!(link.state.steps >= 1 && link.state.steps <= 50);
        }
    }

    #[test]
    fn a_repeated_part_is_named_and_its_first_value_used() {
        let link = decode("?v=latent10&seed=31337&seed=99&m=inpaint");
        assert_eq!((link.state.seed, link.state.mode, link.state.variant), (31337, Mode::Inpaint, Variant::Latent10));
        assert_eq!(link.dropped, vec!["the seed (`seed` is given 2 times: the first, `31337`, is used, not `99`)".to_string()]);
        // Parts the page does not know are not its business (a tracker's, say).
        assert!(decode("utm_source=x&utm_source=y").dropped.is_empty());
    }

    #[test]
    fn a_tour_steps_link_is_its_number_and_a_change_is_written_on_top() {
        for n in 1..=tour::STEPS.len() {
            let view = step_view(n).expect("a step");
            assert_eq!(encode(&view, Frame::default()), format!("tour={n}"), "step {n}");
            assert_eq!(decode(&format!("tour={n}")).state, view, "step {n}");
        }
        let mut changed = step_view(2).expect("step 2");
        changed.seed = 9;
        let query = encode(&changed, Frame::default());
        assert_eq!(query, "tour=2&seed=9");
        assert_eq!(decode(&query).state, changed);
    }

    /// Every shipped variant and models trained in the page, of every architecture.
    fn arb_variant() -> impl Strategy<Value = Variant> {
        prop_oneof![
            prop::sample::select(Variant::ALL.to_vec()),
            (any::<bool>(), 1..=crate::study::Architecture::MAX_LATENT, any::<bool>())
                .prop_map(|(deeper, latent_dim, mse)| Variant::Yours(crate::study::Architecture { deeper, latent_dim, mse })),
        ]
    }

    fn arb_state() -> impl Strategy<Value = ViewState> {
        let point = (0u8..=255, 0u8..=255).prop_map(|(x, y)| (f32::from(x) / 255.0, f32::from(y) / 255.0));
        (
            arb_variant(),
            prop::sample::select(Mode::ALL.to_vec()),
            prop::collection::vec(prop::collection::vec(point, 1..60), 0..6),
            prop::collection::vec(any::<bool>(), PIXELS),
            STEPS,
            any::<u64>(),
            prop::option::of(0..GENERATE_TILES),
            (0..TEST_DIGITS, 0..TEST_DIGITS),
            prop::collection::vec(-3.0f32..3.0, 16),
            (any::<u64>(), prop::option::of((0usize..11, 0usize..32)), prop::option::of(1..=tour::STEPS.len())),
            prop_oneof![
                (0..TEST_DIGITS).prop_map(InpaintSource::Test),
                Just(InpaintSource::Drawing),
                (arb_variant(), any::<u64>(), 0..GENERATE_TILES)
                    .prop_map(|(variant, seed, tile)| InpaintSource::Generated(PriorSample { variant, seed, temperature: 1.5, tile })),
            ],
        )
            .prop_map(|(variant, mode, strokes, mask, steps, seed, picked, ends, z, (eps_seed, look, tour), source)| {
                let mut state = ViewState::default();
                // Any change on top of any step.
                state.tour = tour;
                state.set_variant(variant);
                state.mode = mode;
                state.strokes = strokes;
                state.mask = mask;
                state.steps = steps;
                state.seed = seed;
                state.picked = picked;
                state.ends = ends;
                state.latent = z[..variant.latent_dim()].to_vec();
                state.source = source;
                state.eps_seed = eps_seed;
                // Every architecture has 11 stages or more, the second with 32 maps; other
                // stages take their first map.
                state.look = look.map(|(stage, channel)| (stage, if stage == 1 { channel } else { 0 }));
                state
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn any_view_round_trips(state in arb_state()) {
            let link = decode(&encode(&state, Frame::default()));
            prop_assert!(link.dropped.is_empty(), "{:?}", link.dropped);
            prop_assert_eq!(link.state, state);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Arbitrary text, and good links with bytes changed or cut: never a panic, always a
        /// valid view.
        #[test]
        fn any_string_opens_a_valid_view(
            text in ".{0,300}",
            state in arb_state(),
            cut in any::<prop::sample::Index>(),
            flip in any::<prop::sample::Index>(),
            byte in any::<char>(),
        ) {
            let good = encode(&state, Frame::default());
            let mut mangled: Vec<char> = good.chars().collect();
            if !mangled.is_empty() {
                let at = flip.index(mangled.len());
                mangled[at] = byte;
                mangled.truncate(cut.index(mangled.len()) + 1);
            }
            let mangled: String = mangled.into_iter().collect();
            for query in [text.as_str(), mangled.as_str(), &good[..cut.index(good.len() + 1).min(good.len())]] {
                let link = decode(query);
                let s = &link.state;
                prop_assert_eq!(s.latent.len(), s.variant.latent_dim());
                prop_assert_eq!(s.mask.len(), PIXELS);
                prop_assert!(STEPS.contains(&s.steps) && TEMPERATURE.contains(&s.temperature));
                prop_assert!(s.picked.is_none_or(|t| t < GENERATE_TILES));
                prop_assert!(s.ends.0 < TEST_DIGITS && s.ends.1 < TEST_DIGITS);
                prop_assert!(s.strokes.iter().flatten().all(|&(x, y)| (0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y)));
                prop_assert!(s.latent.iter().all(|v| v.is_finite() && v.abs() <= LATENT_LIMIT));
                if let InpaintSource::Test(i) = s.source { prop_assert!(i < TEST_DIGITS); }
                if let Some((stage, _)) = s.look { prop_assert!(stage < crate::study::anatomy::stages(s.variant.architecture()).len()); }
            }
        }
    }
}
