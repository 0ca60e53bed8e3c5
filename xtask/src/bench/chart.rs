//! The chart of the per-resource comparison: time against N for `jamf_api_role`, the floor
//! (`floor_role`) and `terraform_data`, one panel per command, median with a min–max whisker. SVG through plotters,
//! with no font library: the SVG backend writes text as `<text>` elements the viewer renders.

use std::path::Path;

use plotters::prelude::*;

use super::report::{Cell, Command};
use super::stats::Summary;

/// Which side of a cell a series shows.
type Pick = fn(&Cell) -> &Summary;

const OURS: RGBColor = RGBColor(0xd9, 0x48, 0x1c);
const DATA: RGBColor = RGBColor(0x2b, 0x6c, 0xb0);
const FLOOR: RGBColor = RGBColor(0x6b, 0x8e, 0x23);

/// Draw one panel per command in `commands` from `cells` into an SVG file at `path`.
pub fn write_svg(path: &Path, cells: &[Cell], commands: &[Command]) -> Result<(), String> {
    let width = 480 * commands.len().max(1) as u32;
    let root = SVGBackend::new(path, (width, 420)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let panels = root.split_evenly((1, commands.len().max(1)));
    for (area, command) in panels.iter().zip(commands) {
        draw_panel(area, cells, *command).map_err(|e| format!("chart: {e}"))?;
    }
    root.present().map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    cells: &[Cell],
    command: Command,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let mine: Vec<&Cell> = cells.iter().filter(|c| c.command == command).collect();
    let max_n = mine.iter().map(|c| c.n).max().unwrap_or(1) as f64;
    let max_y =
        mine.iter().map(|c| c.ours.max.max(c.floor.max).max(c.terraform_data.max)).fold(0.0, f64::max).max(0.001);
    let mut chart = ChartBuilder::on(area)
        .caption(format!("terraform {}", command.label()), ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..max_n * 1.05, 0.0..max_y * 1.45)?;
    chart
        .configure_mesh()
        .x_desc("N (resources)")
        .y_desc("seconds (median; bar: min to max)")
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.2}"))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .draw()?;
    let series: [(&str, RGBColor, Pick); 3] = [
        ("jamf_api_role (mdmkit/jamf)", OURS, |c| &c.ours),
        ("floor_role (same schema, no work)", FLOOR, |c| &c.floor),
        ("terraform_data (built in)", DATA, |c| &c.terraform_data),
    ];
    for (label, color, pick) in series {
        let points: Vec<(f64, f64)> = mine.iter().map(|c| (c.n as f64, pick(c).median)).collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
        chart.draw_series(points.iter().map(|&(x, y)| Circle::new((x, y), 3, color.filled())))?;
        chart.draw_series(mine.iter().map(|c| {
            let s = pick(c);
            PathElement::new(vec![(c.n as f64, s.min), (c.n as f64, s.max)], color.stroke_width(1))
        }))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_has_text_without_a_font_library() {
        let s = |v: f64| Summary::of(&[v * 0.9, v, v * 1.2]).unwrap();
        let cells: Vec<Cell> = [1usize, 100, 500]
            .iter()
            .flat_map(|&n| {
                [Command::Plan, Command::RefreshPlan].map(|command| Cell {
                    command,
                    n,
                    ours: s(0.1 + n as f64 * 0.001),
                    floor: s(0.09 + n as f64 * 0.0009),
                    terraform_data: s(0.05 + n as f64 * 0.0008),
                })
            })
            .collect();
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("c.svg");
        write_svg(&path, &cells, &[Command::Plan, Command::RefreshPlan]).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80.min(svg.len())]);
        for text in [
            "terraform plan (empty state)",
            "N (resources)",
            "seconds",
            "jamf_api_role (mdmkit/jamf)",
            "floor_role",
            "500",
        ] {
            assert!(svg.contains(&format!(">{text}</text>")) || svg.contains(text), "missing {text:?}");
        }
        assert!(svg.matches("<text").count() > 20);
        assert!(svg.contains("<polyline"));
    }
}
