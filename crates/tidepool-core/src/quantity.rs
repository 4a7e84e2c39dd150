//! Resource quantities (`500Mi`, `1`, `250m`) as exact milli-units, formatted canonically the way
//! apimachinery's `Quantity.String()` does for the values quota and scheduling messages print.

/// How a quantity was written; decides how sums print (Kubernetes keeps the first operand's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QuantityFormat {
    #[default]
    DecimalSi,
    BinarySi,
}

/// An exact amount in thousandths of the base unit (cores or bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Amount {
    pub milli: i128,
    pub format: QuantityFormat,
}

const BINARY: [(&str, u32); 6] = [
    ("Ki", 10),
    ("Mi", 20),
    ("Gi", 30),
    ("Ti", 40),
    ("Pi", 50),
    ("Ei", 60),
];
const DECIMAL: [(&str, i32); 8] = [
    ("n", -9),
    ("u", -6),
    ("m", -3),
    ("k", 3),
    ("M", 6),
    ("G", 9),
    ("T", 12),
    ("P", 15),
];

/// Parses a quantity string; `None` when it is not a valid quantity.
pub fn parse(text: &str) -> Option<Amount> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    if number.is_empty() {
        return None;
    }
    let (negative, digits) = match number.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, number.strip_prefix('+').unwrap_or(number)),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if !whole
        .chars()
        .chain(frac.chars())
        .all(|c| c.is_ascii_digit())
        || frac.len() > 18
    {
        return None;
    }
    // value = mantissa * 10^(-frac.len())
    let mantissa: i128 = format!("{whole}{frac}").parse().ok()?;
    let scale = -(frac.len() as i32);
    let (format, milli) = if let Some(&(_, shift)) = BINARY.iter().find(|(s, _)| *s == suffix) {
        let v = mantissa.checked_mul(1i128.checked_shl(shift)?)?;
        (QuantityFormat::BinarySi, scale_milli(v, scale)?)
    } else {
        let exponent = if suffix.is_empty() {
            0
        } else if let Some(&(_, e)) = DECIMAL.iter().find(|(s, _)| *s == suffix) {
            e
        } else if let Some(e) = suffix.strip_prefix(['e', 'E']) {
            e.parse::<i32>().ok().filter(|e| e.abs() <= 18)?
        } else {
            return None;
        };
        (
            QuantityFormat::DecimalSi,
            scale_milli(mantissa, scale + exponent)?,
        )
    };
    Some(Amount {
        milli: if negative { -milli } else { milli },
        format,
    })
}

/// `value * 10^exp * 1000`, rounding fractions of a milli-unit up like Kubernetes does.
fn scale_milli(value: i128, exp: i32) -> Option<i128> {
    let exp = exp + 3;
    if exp >= 0 {
        value.checked_mul(10i128.checked_pow(exp as u32)?)
    } else {
        let div = 10i128.checked_pow((-exp) as u32)?;
        Some(value.checked_add(div - 1)? / div)
    }
}

impl Amount {
    pub fn zero(format: QuantityFormat) -> Self {
        Self { milli: 0, format }
    }

    /// Canonical text, e.g. `1`, `500m`, `500Mi`, `4Gi`, `0`.
    pub fn to_canonical(self) -> String {
        let milli = self.milli;
        if milli == 0 {
            return "0".to_owned();
        }
        let sign = if milli < 0 { "-" } else { "" };
        let abs = milli.unsigned_abs();
        if !abs.is_multiple_of(1000) {
            return format!("{sign}{abs}m");
        }
        let units = abs / 1000;
        match self.format {
            QuantityFormat::BinarySi => {
                for &(suffix, shift) in BINARY.iter().rev() {
                    let base = 1u128 << shift;
                    if units.is_multiple_of(base) {
                        return format!("{sign}{}{suffix}", units / base);
                    }
                }
                format!("{sign}{units}")
            }
            QuantityFormat::DecimalSi => {
                for &(suffix, exp) in DECIMAL.iter().rev().filter(|(_, e)| *e > 0) {
                    let base = 10u128.pow(exp as u32);
                    if units.is_multiple_of(base) {
                        return format!("{sign}{}{suffix}", units / base);
                    }
                }
                format!("{sign}{units}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_like_kubernetes() {
        let cases = [
            ("1", "1"),
            ("1000m", "1"),
            ("0.5", "500m"),
            ("250m", "250m"),
            ("500Mi", "500Mi"),
            ("4Gi", "4Gi"),
            ("1024Mi", "1Gi"),
            ("1G", "1G"),
            ("1e3", "1k"),
            ("2", "2"),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse(input).map(Amount::to_canonical).as_deref(),
                Some(want),
                "{input}"
            );
        }
        for bad in ["", "abc", "1Xi", "1.2.3", "--1"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
