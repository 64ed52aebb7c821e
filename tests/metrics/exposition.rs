//! A strict reader of the Prometheus text format (0.0.4): every line must be a `# HELP`,
//! a `# TYPE`, another comment, blank, or a well-formed sample of a declared family, and
//! histograms must be consistent. Anything else fails the test with the line.

use std::collections::{BTreeMap, HashMap};

/// A label set, sorted by name.
pub type Labels = BTreeMap<String, String>;

/// One scrape: the samples by metric name and label set, and each family's type.
#[derive(Debug, Default)]
pub struct Scrape {
    types: HashMap<String, String>,
    helps: HashMap<String, String>,
    samples: HashMap<(String, Labels), f64>,
}

fn is_name(name: &str, colons: bool) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || (colons && c == ':'));
    first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || (colons && c == ':'))
}

fn value(text: &str) -> Result<f64, String> {
    match text {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => text
            .parse::<f64>()
            .map_err(|_| format!("bad value {text:?}")),
    }
}

/// `name="value",...}` up to the closing brace; returns the labels and the rest of the line.
fn labels(mut rest: &str) -> Result<(Labels, &str), String> {
    let mut labels = Labels::new();
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return Ok((labels, after));
        }
        let eq = rest.find('=').ok_or("a label without '='")?;
        let name = &rest[..eq];
        if !is_name(name, false) {
            return Err(format!("bad label name {name:?}"));
        }
        rest = rest[eq + 1..]
            .strip_prefix('"')
            .ok_or("a label value without quotes")?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next() {
                None => return Err("an unterminated label value".into()),
                Some((i, '"')) => break i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, '\\')) => value.push('\\'),
                    Some((_, '"')) => value.push('"'),
                    Some((_, 'n')) => value.push('\n'),
                    _ => return Err("a bad escape in a label value".into()),
                },
                Some((_, c)) => value.push(c),
            }
        };
        if labels.insert(name.to_owned(), value).is_some() {
            return Err(format!("label {name} twice"));
        }
        rest = &rest[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

/// The declared family a sample name belongs to.
fn family<'a>(types: &HashMap<String, String>, name: &'a str) -> Option<&'a str> {
    if types.contains_key(name) {
        return Some(name);
    }
    ["_bucket", "_sum", "_count"].iter().find_map(|suffix| {
        let base = name.strip_suffix(suffix)?;
        (types.get(base).map(String::as_str) == Some("histogram")).then_some(base)
    })
}

impl Scrape {
    /// Parses a whole scrape; the error names the line.
    pub fn parse(text: &str) -> Result<Scrape, String> {
        let mut scrape = Scrape::default();
        for (number, line) in text.lines().enumerate() {
            scrape
                .line(line)
                .map_err(|e| format!("line {}: {e}: {line:?}", number + 1))?;
        }
        scrape.check_histograms()?;
        Ok(scrape)
    }

    fn line(&mut self, line: &str) -> Result<(), String> {
        if line.trim().is_empty() {
            return Ok(());
        }
        if let Some(comment) = line.strip_prefix('#') {
            let mut words = comment.trim_start().splitn(3, ' ');
            let keyword = words.next().unwrap_or_default();
            if keyword != "HELP" && keyword != "TYPE" {
                return Ok(());
            }
            let name = words.next().ok_or("no metric name")?;
            if !is_name(name, true) {
                return Err(format!("bad metric name {name:?}"));
            }
            let rest = words.next().unwrap_or_default().to_owned();
            if keyword == "TYPE" {
                let known = ["counter", "gauge", "histogram", "summary", "untyped"];
                if !known.contains(&rest.as_str()) {
                    return Err(format!("unknown type {rest:?}"));
                }
                if self.types.insert(name.to_owned(), rest).is_some() {
                    return Err("a second TYPE".into());
                }
            } else if self.helps.insert(name.to_owned(), rest).is_some() {
                return Err("a second HELP".into());
            }
            return Ok(());
        }
        let end = line.find(['{', ' ']).ok_or("a sample without a value")?;
        let name = &line[..end];
        if !is_name(name, true) {
            return Err(format!("bad metric name {name:?}"));
        }
        if family(&self.types, name).is_none() {
            return Err(format!("{name} has no TYPE"));
        }
        let (labels, rest) = match line[end..].strip_prefix('{') {
            Some(rest) => labels(rest)?,
            None => (Labels::new(), &line[end..]),
        };
        let rest = rest.strip_prefix(' ').ok_or("no space before the value")?;
        let mut fields = rest.split(' ');
        let sample = value(fields.next().unwrap_or_default())?;
        if let Some(timestamp) = fields.next() {
            timestamp
                .parse::<i64>()
                .map_err(|_| format!("bad timestamp {timestamp:?}"))?;
        }
        if fields.next().is_some() {
            return Err("text after the timestamp".into());
        }
        if self
            .samples
            .insert((name.to_owned(), labels), sample)
            .is_some()
        {
            return Err("the same series twice".into());
        }
        Ok(())
    }

    /// Buckets cumulative, a `+Inf` bucket equal to `_count`, and a `_sum`, per series.
    fn check_histograms(&self) -> Result<(), String> {
        let mut series: HashMap<(&str, Labels), Vec<(f64, f64)>> = HashMap::new();
        for ((name, labels), count) in &self.samples {
            let Some(base) = name.strip_suffix("_bucket") else {
                continue;
            };
            let mut rest = labels.clone();
            let le = rest.remove("le").ok_or(format!("{name} without le"))?;
            series
                .entry((base, rest))
                .or_default()
                .push((value(&le)?, *count));
        }
        for ((base, labels), mut buckets) in series {
            buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
            if buckets.windows(2).any(|w| w[1].1 < w[0].1) {
                return Err(format!("{base} {labels:?}: buckets not cumulative"));
            }
            let all = buckets.last().filter(|b| b.0 == f64::INFINITY);
            let count = self.samples.get(&(format!("{base}_count"), labels.clone()));
            if all.map(|b| b.1) != count.copied() {
                return Err(format!("{base} {labels:?}: +Inf bucket is not _count"));
            }
            if !self
                .samples
                .contains_key(&(format!("{base}_sum"), labels.clone()))
            {
                return Err(format!("{base} {labels:?}: no _sum"));
            }
        }
        Ok(())
    }

    /// The type a family was declared with.
    pub fn kind(&self, family: &str) -> Option<&str> {
        self.types.get(family).map(String::as_str)
    }

    /// The value of the series with exactly these labels; 0 when it does not exist yet (a
    /// family shows a label set from its first use on).
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let labels = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.samples
            .get(&(name.to_owned(), labels))
            .copied()
            .unwrap_or(0.0)
    }

    /// Every series of `name`.
    pub fn series(&self, name: &str) -> Vec<(&Labels, f64)> {
        self.samples
            .iter()
            .filter(|((n, _), _)| n == name)
            .map(|((_, labels), value)| (labels, *value))
            .collect()
    }

    /// Every label value of every series.
    pub fn label_values(&self) -> impl Iterator<Item = &str> {
        self.samples
            .keys()
            .flat_map(|(_, labels)| labels.values().map(String::as_str))
    }
}

#[test]
fn malformed_text_is_refused() {
    let good = "# TYPE a_total counter\na_total{x=\"1\"} 2\n";
    assert_eq!(
        Scrape::parse(good).map(|s| s.value("a_total", &[("x", "1")])),
        Ok(2.0)
    );
    for bad in [
        "a_total 1\n",                                    // no TYPE
        "# TYPE a_total counter\na_total{x=1} 2\n",       // unquoted value
        "# TYPE a_total counter\na_total{x=\"1} 2\n",     // unterminated
        "# TYPE a_total counter\na_total two\n",          // not a number
        "# TYPE a_total counter\na_total 1\na_total 2\n", // the same series twice
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 0\n",
    ] {
        assert!(Scrape::parse(bad).is_err(), "accepted {bad:?}");
    }
}
