//! The demo store. In: nothing. Out: the files (relative path, bytes) of a
//! small `~/.ollama`: three models that share blobs, with real GGUF headers,
//! plus an orphaned blob and a partial download — so a newcomer sees every
//! part of the app work without Ollama.

use crate::digest::Digest;
use crate::gguf::GgufWriter;
use serde_json::json;

pub type DemoFile = (String, Vec<u8>);

struct Weights {
    arch: &'static str,
    name: &'static str,
    ctx: u32,
    embd: u32,
    blocks: u32,
    ftype: u32,
    vocab: usize,
}

fn gguf(w: &Weights) -> Vec<u8> {
    let tokens: Vec<String> = (0..w.vocab).map(|i| format!("<t{i}>")).collect();
    let mut g = GgufWriter::new();
    g.kv_string("general.architecture", w.arch)
        .kv_string("general.name", w.name)
        .kv_u32("general.file_type", w.ftype)
        .kv_u32(&format!("{}.context_length", w.arch), w.ctx)
        .kv_u32(&format!("{}.embedding_length", w.arch), w.embd)
        .kv_u32(&format!("{}.block_count", w.arch), w.blocks)
        .kv_u32(&format!("{}.attention.head_count", w.arch), 8)
        .kv_u32(&format!("{}.attention.head_count_kv", w.arch), 4)
        .kv_string("tokenizer.ggml.model", "llama")
        .kv_strings("tokenizer.ggml.tokens", &tokens)
        .kv_string(
            "tokenizer.chat_template",
            "{% for m in messages %}{{ m.content }}{% endfor %}",
        )
        .tensor(
            "token_embd.weight",
            &[u64::from(w.embd), w.vocab as u64],
            0,
            4096,
        )
        .tensor("output_norm.weight", &[u64::from(w.embd)], 0, 1024);
    g.to_bytes_with_fake_data()
}

fn layer(media_type: &str, bytes: &[u8]) -> serde_json::Value {
    json!({"mediaType": media_type, "digest": Digest::of(bytes).to_string(), "size": bytes.len()})
}

fn config(family: &str, params: &str, quant: &str) -> Vec<u8> {
    json!({"model_format": "gguf", "model_family": family, "model_families": [family],
           "model_type": params, "file_type": quant, "architecture": "amd64", "os": "linux"})
    .to_string()
    .into_bytes()
}

fn manifest(config: &[u8], layers: &[(&str, &[u8])]) -> Vec<u8> {
    let layers: Vec<_> = layers
        .iter()
        .map(|(kind, b)| layer(&format!("application/vnd.ollama.image.{kind}"), b))
        .collect();
    let m = json!({"schemaVersion": 2, "mediaType": crate::manifest::MEDIA_TYPE_DOCKER_MANIFEST,
                   "config": layer(crate::manifest::MEDIA_TYPE_CONFIG, config), "layers": layers});
    serde_json::to_vec_pretty(&m).unwrap_or_default()
}

fn blob(bytes: &[u8]) -> DemoFile {
    (
        format!("models/blobs/{}", Digest::of(bytes).blob_file_name()),
        bytes.to_vec(),
    )
}

/// Every file of the demo `~/.ollama`, paths relative to it.
pub fn demo_store() -> Vec<DemoFile> {
    let tiny = gguf(&Weights {
        arch: "llama",
        name: "TinyLlama 1.1B Chat",
        ctx: 2048,
        embd: 2048,
        blocks: 22,
        ftype: 15,
        vocab: 32000,
    });
    let smol = gguf(&Weights {
        arch: "llama",
        name: "SmolLM2 135M",
        ctx: 8192,
        embd: 576,
        blocks: 30,
        ftype: 7,
        vocab: 4000,
    });
    let gemma = gguf(&Weights {
        arch: "gemma2",
        name: "Gemma 2 2B",
        ctx: 8192,
        embd: 2304,
        blocks: 26,
        ftype: 2,
        vocab: 8000,
    });
    let template = b"<|user|>\n{{ .Prompt }}</s>\n<|assistant|>\n".to_vec();
    let license =
        b"Apache License\nVersion 2.0, January 2004\nhttp://www.apache.org/licenses/\n".repeat(8);
    let system = b"You are a helpful, concise assistant.".to_vec();
    let params = br#"{"stop":["<|user|>","</s>"],"temperature":0.7}"#.to_vec();
    let (c_tiny, c_smol, c_gemma) = (
        config("llama", "1.1B", "Q4_K_M"),
        config("llama", "135M", "Q8_0"),
        config("gemma2", "2.6B", "Q4_0"),
    );
    let m_tiny = manifest(
        &c_tiny,
        &[
            ("model", &tiny),
            ("template", &template),
            ("license", &license),
            ("params", &params),
        ],
    );
    let m_smol = manifest(
        &c_smol,
        &[
            ("model", &smol),
            ("template", &template),
            ("license", &license),
            ("system", &system),
        ],
    );
    let m_gemma = manifest(&c_gemma, &[("model", &gemma), ("license", &license)]);
    let orphan = b"a layer left behind by a model that was removed".to_vec();
    let unfinished = Digest::of(b"a download that never finished").blob_file_name();
    let mut files: Vec<DemoFile> = [
        &tiny, &smol, &gemma, &template, &license, &system, &params, &c_tiny, &c_smol, &c_gemma,
        &orphan,
    ]
    .into_iter()
    .map(|b| blob(b))
    .collect();
    files.push((format!("models/blobs/{unfinished}-partial"), vec![0; 4096]));
    files.push((
        format!("models/blobs/{unfinished}-partial-0"),
        br#"{"N":0,"Offset":0,"Size":4096,"Completed":4096}"#.to_vec(),
    ));
    let manifests = "models/manifests/registry.ollama.ai/library";
    files.push((format!("{manifests}/tinyllama/latest"), m_tiny.clone()));
    files.push((format!("{manifests}/tinyllama/chat"), m_tiny));
    files.push((format!("{manifests}/smollm2/135m"), m_smol));
    files.push((
        "models/manifests/localhost:5000/team/gemma2/2b".into(),
        m_gemma,
    ));
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::MemSource;
    use crate::store::scan_store;

    #[test]
    fn demo_store_shows_sharing_orphan_partial_and_no_problems() {
        let mut source = MemSource::new();
        for (path, bytes) in demo_store() {
            source.add_file(&path, bytes, 0);
        }
        let r = pollster::block_on(scan_store(&source, "demo")).unwrap();
        assert_eq!(r.models.len(), 4);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.blobs.orphaned.len(), 1);
        assert_eq!(r.blobs.partial.len(), 2);
        assert!(r.blobs.missing.is_empty() && r.blobs.size_mismatch.is_empty());
        assert!(r.blobs.shared_bytes > 0);
        let names: Vec<&str> = r.models.iter().map(|m| m.name.as_str()).collect();
        assert!(
            names.contains(&"localhost:5000/team/gemma2:2b"),
            "{names:?}"
        );
    }
}
