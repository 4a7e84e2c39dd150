//! Go's `text/tabwriter` as kubectl configures it: cells are padded to the widest cell of their
//! column plus `padding`, at least `minwidth`; the last cell of a line is not padded.
//!
//! kubectl `get`: `tabwriter.NewWriter(out, 6, 4, 3, ' ', 0)`; `describe`: `(0, 8, 2, ' ', 0)`.
//! Like Go, a column block ends at a line with fewer cells, so widths are computed per block
//! of consecutive lines that have the column.

/// Formats rows of cells. Every row's last cell is printed as is.
pub fn format(rows: &[Vec<String>], minwidth: usize, padding: usize) -> String {
    let lines: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    let mut widths: Vec<Vec<usize>> = lines.iter().map(|l| vec![0; l.len()]).collect();
    compute(&lines, &mut widths, 0, 0, lines.len(), minwidth, padding);
    let mut out = String::new();
    for (li, line) in lines.iter().enumerate() {
        for (ci, cell) in line.iter().enumerate() {
            if ci + 1 == line.len() {
                out.push_str(cell);
            } else {
                out.push_str(cell);
                let w = widths[li][ci];
                let len = cell.chars().count();
                out.extend(std::iter::repeat_n(' ', w.saturating_sub(len)));
            }
        }
        out.push('\n');
    }
    out
}

/// Go's column-block algorithm: column `col` of lines `start..end` that have a cell there
/// (other than the line's last) forms blocks of consecutive lines.
fn compute(
    lines: &[Vec<&str>],
    widths: &mut [Vec<usize>],
    col: usize,
    start: usize,
    end: usize,
    minwidth: usize,
    padding: usize,
) {
    let mut i = start;
    while i < end {
        if lines[i].len() > col + 1 {
            let block_start = i;
            let mut width = minwidth;
            while i < end && lines[i].len() > col + 1 {
                let w = lines[i][col].chars().count() + padding;
                width = width.max(w);
                i += 1;
            }
            for row in widths.iter_mut().take(i).skip(block_start) {
                row[col] = width;
            }
            compute(lines, widths, col + 1, block_start, i, minwidth, padding);
        } else {
            i += 1;
        }
    }
}

/// kubectl get's table settings.
pub fn table(rows: &[Vec<String>]) -> String {
    format(rows, 6, 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn kubectl_get_layout() {
        let out = table(&[
            row(&["NAME", "DESIRED", "CURRENT", "READY", "AGE"]),
            row(&["my-rc", "3", "0", "0", "24s"]),
        ]);
        assert_eq!(
            out,
            "NAME    DESIRED   CURRENT   READY   AGE\nmy-rc   3         0         0       24s\n"
        );
    }
}
