//! Go's `text/tabwriter` as kubectl configures it: cells are padded to the widest cell of their
//! column plus `padding`, at least `minwidth`; the last cell of a line is not padded.
//!
//! kubectl `get`: `tabwriter.NewWriter(out, 6, 4, 3, ' ', 0)`; `describe`: `(0, 8, 2, ' ', 0)`.
//! Like Go, a column block ends at a line with fewer cells, so widths are computed per block
//! of consecutive lines that have the column.

/// Formats rows of cells. Every row's last cell is printed as is.
pub fn format(rows: &[Vec<String>], minwidth: usize, padding: usize) -> String {
    let mut grid = Grid::default();
    for row in rows {
        for cell in row {
            grid.cell(cell);
        }
        grid.end_line();
    }
    format_grid(&grid, minwidth, padding)
}

/// Lines of cells kept in one string: a table of 10,000 pods is two allocations, not one per
/// cell (`kubectl get pods -A` spent most of its time in the allocator).
#[derive(Debug, Default, Clone)]
pub struct Grid {
    text: String,
    /// End offset in `text` of each cell.
    cell_ends: Vec<usize>,
    /// Number of cells before the end of each line.
    line_ends: Vec<usize>,
}

impl Grid {
    pub fn cell(&mut self, text: &str) {
        self.text.push_str(text);
        self.cell_ends.push(self.text.len());
    }

    /// A cell written with `format_args!`, without a temporary `String`.
    pub fn cell_fmt(&mut self, args: std::fmt::Arguments<'_>) {
        use std::fmt::Write;
        // Writing into a String cannot fail.
        let _ = self.text.write_fmt(args);
        self.cell_ends.push(self.text.len());
    }

    pub fn end_line(&mut self) {
        self.line_ends.push(self.cell_ends.len());
    }

    pub fn lines(&self) -> usize {
        self.line_ends.len()
    }

    /// The cells of line `index`.
    pub fn line(&self, index: usize) -> impl Iterator<Item = &str> {
        let first = if index == 0 {
            0
        } else {
            self.line_ends[index - 1]
        };
        (first..self.line_ends[index]).map(move |c| self.cell_text(c))
    }

    fn cell_text(&self, cell: usize) -> &str {
        let start = if cell == 0 {
            0
        } else {
            self.cell_ends[cell - 1]
        };
        &self.text[start..self.cell_ends[cell]]
    }

    /// Every line as owned cells (for callers that still edit rows).
    pub fn to_rows(&self) -> Vec<Vec<String>> {
        (0..self.lines())
            .map(|l| self.line(l).map(str::to_owned).collect())
            .collect()
    }

    /// Puts `cells` in front as the first line (a header known only after the rows).
    pub fn prepend_line(&mut self, cells: &[String]) {
        let mut front = Grid::default();
        for c in cells {
            front.cell(c);
        }
        front.end_line();
        let (bytes, count) = (front.text.len(), front.cell_ends.len());
        front.text.push_str(&self.text);
        front
            .cell_ends
            .extend(self.cell_ends.iter().map(|e| e + bytes));
        front
            .line_ends
            .extend(self.line_ends.iter().map(|e| e + count));
        *self = front;
    }
}

/// Formats a grid; see [`format`].
pub fn format_grid(grid: &Grid, minwidth: usize, padding: usize) -> String {
    // Cell widths in characters (bytes for ASCII, the common case), one flat table.
    let offsets: Vec<usize> = std::iter::once(0)
        .chain(grid.line_ends.iter().copied())
        .take(grid.lines())
        .collect();
    let cell_widths: Vec<usize> = (0..grid.cell_ends.len())
        .map(|c| text_width(grid.cell_text(c)))
        .collect();
    let lens: Vec<usize> = (0..grid.lines())
        .map(|l| grid.line_ends[l] - offsets[l])
        .collect();
    let mut widths = vec![0; cell_widths.len()];
    let table = Table {
        lens: &lens,
        offsets: &offsets,
        cell_widths: &cell_widths,
        minwidth,
        padding,
    };
    table.compute(&mut widths, 0, 0, grid.lines());
    let total: usize = grid.text.len() + grid.lines() * 8;
    let mut out = String::with_capacity(total + total / 2);
    for li in 0..grid.lines() {
        let len = lens[li];
        for (ci, cell) in grid.line(li).enumerate() {
            out.push_str(cell);
            if ci + 1 != len {
                let k = offsets[li] + ci;
                let pad = widths[k].saturating_sub(cell_widths[k]);
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    }
    out
}

fn text_width(cell: &str) -> usize {
    if cell.is_ascii() {
        cell.len()
    } else {
        cell.chars().count()
    }
}

struct Table<'a> {
    lens: &'a [usize],
    offsets: &'a [usize],
    cell_widths: &'a [usize],
    minwidth: usize,
    padding: usize,
}

impl Table<'_> {
    /// Go's column-block algorithm: column `col` of lines `start..end` that have a cell there
    /// (other than the line's last) forms blocks of consecutive lines.
    fn compute(&self, widths: &mut [usize], col: usize, start: usize, end: usize) {
        let mut i = start;
        while i < end {
            if self.lens[i] > col + 1 {
                let block_start = i;
                let mut width = self.minwidth;
                while i < end && self.lens[i] > col + 1 {
                    width = width.max(self.cell_widths[self.offsets[i] + col] + self.padding);
                    i += 1;
                }
                for line in block_start..i {
                    widths[self.offsets[line] + col] = width;
                }
                self.compute(widths, col + 1, block_start, i);
            } else {
                i += 1;
            }
        }
    }
}

/// kubectl get's table settings.
pub fn table(rows: &[Vec<String>]) -> String {
    format(rows, 6, 3)
}

/// [`table`] for a grid.
pub fn table_grid(grid: &Grid) -> String {
    format_grid(grid, 6, 3)
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

    #[test]
    fn a_grid_with_a_prepended_header_prints_like_rows() {
        let rows = [
            row(&["NAME", "READY", "STATUS"]),
            row(&["web-1", "1/1", "Running"]),
            row(&["a-much-longer-name", "0/1"]),
            row(&["x", "", "Pending"]),
        ];
        let mut grid = Grid::default();
        for r in &rows[1..] {
            for c in r {
                grid.cell(c);
            }
            grid.end_line();
        }
        grid.prepend_line(&rows[0]);
        assert_eq!(grid.to_rows(), rows);
        assert_eq!(table_grid(&grid), table(&rows));
        assert_eq!(table(&[]), "");
    }
}
