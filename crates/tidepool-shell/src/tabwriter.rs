//! Go's `text/tabwriter` as kubectl configures it: cells are padded to the widest cell of their
//! column plus `padding`, at least `minwidth`; the last cell of a line is not padded.
//!
//! kubectl `get`: `tabwriter.NewWriter(out, 6, 4, 3, ' ', 0)`; `describe`: `(0, 8, 2, ' ', 0)`.
//! Like Go, a column block ends at a line with fewer cells, so widths are computed per block
//! of consecutive lines that have the column.

/// Formats rows of cells. Every row's last cell is printed as is.
pub fn format(rows: &[Vec<String>], minwidth: usize, padding: usize) -> String {
    // Cell widths in characters (bytes for ASCII, the common case), one flat table.
    let offsets: Vec<usize> = rows
        .iter()
        .scan(0, |acc, r| {
            let start = *acc;
            *acc += r.len();
            Some(start)
        })
        .collect();
    let cell_widths: Vec<usize> = rows.iter().flatten().map(|c| text_width(c)).collect();
    let lens: Vec<usize> = rows.iter().map(Vec::len).collect();
    let mut widths = vec![0; cell_widths.len()];
    let table = Table {
        lens: &lens,
        offsets: &offsets,
        cell_widths: &cell_widths,
        minwidth,
        padding,
    };
    table.compute(&mut widths, 0, 0, rows.len());
    let total: usize = cell_widths.iter().sum::<usize>() + rows.len() * 8;
    let mut out = String::with_capacity(total + total / 2);
    for (li, line) in rows.iter().enumerate() {
        for (ci, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if ci + 1 != line.len() {
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
