//! Plain-text tables. In: a header and rows of cells. Out: left-aligned
//! columns separated by three spaces, as `ollama list` prints them.

pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("   ").trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out += &line(row.iter().map(String::as_str).collect());
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn aligns_columns() {
        let t = super::render(
            &["NAME", "ID"],
            &[
                vec!["gemma2:2b".into(), "8ccf".into()],
                vec!["x".into(), "1".into()],
            ],
        );
        assert_eq!(t, "NAME        ID\ngemma2:2b   8ccf\nx           1\n");
    }
}
