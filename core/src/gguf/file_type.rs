//! `general.file_type` codes. In: the integer llama.cpp stores (its
//! `llama_ftype`). Out: the short name Ollama shows (`Q4_K_M`, `F16`, …),
//! i.e. gguf-py's `LlamaFileType` member name without its `ALL_`/`MOSTLY_`
//! prefix. The table is checked against the installed gguf-py by the
//! fixture tests (`llama_file_types.json`).

/// `(code, name)` for every file type gguf-py 0.19 knows. Codes 4–6 and
/// 33–35 were removed from llama.cpp and have no name.
const FILE_TYPES: &[(u64, &str)] = &[
    (0, "F32"),
    (1, "F16"),
    (2, "Q4_0"),
    (3, "Q4_1"),
    (7, "Q8_0"),
    (8, "Q5_0"),
    (9, "Q5_1"),
    (10, "Q2_K"),
    (11, "Q3_K_S"),
    (12, "Q3_K_M"),
    (13, "Q3_K_L"),
    (14, "Q4_K_S"),
    (15, "Q4_K_M"),
    (16, "Q5_K_S"),
    (17, "Q5_K_M"),
    (18, "Q6_K"),
    (19, "IQ2_XXS"),
    (20, "IQ2_XS"),
    (21, "Q2_K_S"),
    (22, "IQ3_XS"),
    (23, "IQ3_XXS"),
    (24, "IQ1_S"),
    (25, "IQ4_NL"),
    (26, "IQ3_S"),
    (27, "IQ3_M"),
    (28, "IQ2_S"),
    (29, "IQ2_M"),
    (30, "IQ4_XS"),
    (31, "IQ1_M"),
    (32, "BF16"),
    (36, "TQ1_0"),
    (37, "TQ2_0"),
    (38, "MXFP4_MOE"),
    (39, "NVFP4"),
    (40, "Q1_0"),
    (1024, "GUESSED"),
];

/// The name of a known file type code.
pub fn file_type_name(code: u64) -> Option<&'static str> {
    FILE_TYPES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| *name)
}

/// The name of a code, or `UNKNOWN_<code>` for one this build does not know.
pub fn file_type_label(code: u64) -> String {
    file_type_name(code).map_or_else(|| format!("UNKNOWN_{code}"), str::to_owned)
}

/// Every known `(code, name)` pair.
pub fn known_file_types() -> &'static [(u64, &'static str)] {
    FILE_TYPES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_names() {
        assert_eq!(file_type_name(15), Some("Q4_K_M"));
        assert_eq!(file_type_name(1), Some("F16"));
        assert_eq!(file_type_name(7), Some("Q8_0"));
        assert_eq!(file_type_name(5), None);
        assert_eq!(file_type_label(4242), "UNKNOWN_4242");
    }
}
