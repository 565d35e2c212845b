//! Legends drawn below the plot, in as many columns as fit, so that they never
//! cover data however many engines there are and however long their specs.

use super::data::Engine;
use super::style::{draw_err, series_color, text, text_width_px, DrawError, LEGEND_PX};
use plotters::coord::Shift;
use plotters::prelude::*;

const SWATCH_PX: i32 = 26;
const SWATCH_GAP_PX: i32 = 8;
const ENTRY_GAP_PX: i32 = 28;
const ROW_PX: i32 = 24;
const PAD_PX: i32 = 12;

/// How a legend entry's swatch looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Swatch {
    /// A filled box (bars).
    Box,
    /// A line with the series' marker (curves).
    Line,
}

/// One legend entry: series `index` (its colour and marker) and its label.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    /// Series index, picks colour and marker.
    pub index: usize,
    /// The text.
    pub label: String,
}

impl LegendEntry {
    /// One entry per engine, in order, labelled with the engine's legend.
    pub fn for_engines(engines: &[Engine]) -> Vec<LegendEntry> {
        engines
            .iter()
            .enumerate()
            .map(|(index, e)| LegendEntry {
                index,
                label: e.legend.clone(),
            })
            .collect()
    }
}

/// Top-left corners (relative to the legend area) of entries of the given
/// text widths, on a grid of equal columns as many as fit in `width_px`
/// (at least one; an over-long entry runs past the edge rather than vanish).
pub fn flow_layout(text_widths_px: &[i32], width_px: i32) -> Vec<(i32, i32)> {
    let widest = text_widths_px.iter().copied().max().unwrap_or(0);
    let column_px = SWATCH_PX + SWATCH_GAP_PX + widest + ENTRY_GAP_PX;
    let usable_px = width_px - 2 * PAD_PX + ENTRY_GAP_PX;
    let columns = usize::try_from(usable_px / column_px.max(1))
        .unwrap_or(0)
        .max(1);
    (0..text_widths_px.len())
        .map(|i| {
            let column = i32::try_from(i % columns).unwrap_or(0);
            let row = i32::try_from(i / columns).unwrap_or(i32::MAX / ROW_PX / 2);
            (PAD_PX + column * column_px, PAD_PX / 2 + row * ROW_PX)
        })
        .collect()
}

fn text_widths(entries: &[LegendEntry]) -> Vec<i32> {
    entries
        .iter()
        .map(|e| i32::try_from(text_width_px(&e.label, LEGEND_PX)).unwrap_or(i32::MAX / 2))
        .collect()
}

/// Pixel height the legend of `entries` needs across `width_px`.
pub fn height_px(width_px: u32, entries: &[LegendEntry]) -> u32 {
    let width = i32::try_from(width_px).unwrap_or(i32::MAX);
    let positions = flow_layout(&text_widths(entries), width);
    let bottom = positions.last().map_or(0, |(_, y)| y + ROW_PX + PAD_PX);
    u32::try_from(bottom).unwrap_or(0)
}

/// How much taller than one row the legend of `entries` is, pixels:
/// charts grow by this so that a long legend does not squeeze the plot.
pub fn extra_rows_px(width_px: u32, entries: &[LegendEntry]) -> u32 {
    height_px(width_px, entries).saturating_sub(u32::try_from(ROW_PX + PAD_PX * 3 / 2).unwrap_or(0))
}

/// Draws `entries` on `area` (sized with [`height_px`]).
///
/// # Errors
/// Any drawing error.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    swatch: Swatch,
) -> Result<(), DrawError> {
    let width = i32::try_from(area.dim_in_pixel().0).unwrap_or(i32::MAX);
    let positions = flow_layout(&text_widths(entries), width);
    for (entry, (x, y)) in entries.iter().zip(positions) {
        let color = series_color(entry.index);
        let middle_y = y + ROW_PX / 2;
        match swatch {
            Swatch::Box => {
                area.draw(&Rectangle::new(
                    [(x + 4, y + 5), (x + SWATCH_PX - 4, y + ROW_PX - 5)],
                    color.filled(),
                ))
                .map_err(draw_err)?;
            }
            Swatch::Line => {
                area.draw(&PathElement::new(
                    vec![(x, middle_y), (x + SWATCH_PX, middle_y)],
                    color.stroke_width(2),
                ))
                .map_err(draw_err)?;
                super::latency::draw_marker(area, entry.index, (x + SWATCH_PX / 2, middle_y))?;
            }
        }
        let style = text(LEGEND_PX).pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Left,
            plotters::style::text_anchor::VPos::Center,
        ));
        area.draw_text(
            &entry.label,
            &style,
            (x + SWATCH_PX + SWATCH_GAP_PX, middle_y),
        )
        .map_err(draw_err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_fill_columns_then_wrap_to_new_rows() {
        let positions = flow_layout(&[100, 100, 100], 400);
        assert_eq!(positions[0], (PAD_PX, PAD_PX / 2));
        assert_eq!(
            positions[1],
            (PAD_PX + 162, PAD_PX / 2),
            "second entry fits on the first row"
        );
        assert_eq!(positions[2], (PAD_PX, PAD_PX / 2 + ROW_PX), "third wraps");
    }

    #[test]
    fn an_entry_wider_than_the_area_still_gets_its_own_row() {
        let positions = flow_layout(&[2_000, 10], 400);
        assert_eq!(positions[0], (PAD_PX, PAD_PX / 2));
        assert_eq!(positions[1], (PAD_PX, PAD_PX / 2 + ROW_PX));
    }
}
