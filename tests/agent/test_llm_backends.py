"""LLM backends behind one interface: a local Hugging Face checkpoint streamed with transformers (a tiny
random Qwen2 model and a tokenizer built here: real inference, tiny weights), and clear errors for a
backend configured without what it needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.llm import ChatLLM
from settings import Settings

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Qwen2-architecture causal LM with random weights and a byte-level BPE tokenizer trained on a
    few sentences, saved as an ordinary checkpoint folder."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    folder = tmp_path_factory.mktemp("tiny-qwen2")
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    corpus = ["三年期定期存款的年利率为2.35%。", "The cooling-off period is 15 days.", "system user assistant"] * 20
    bpe.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=400, special_tokens=specials,
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                        additional_special_tokens=["<|im_start|>"])
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(folder)
    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    Qwen2ForCausalLM(config).save_pretrained(folder)
    return folder


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path, _env_file=None, **values)  # type: ignore[call-arg]


def test_the_transformers_backend_streams_what_the_model_generates(tiny_checkpoint: Path, tmp_path: Path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    llm = ChatLLM(_settings(tmp_path, llm_backend="transformers", llm_path=tiny_checkpoint, llm_temperature=0.0,
                            llm_max_tokens=12, llm_threads=1))
    assert llm.backend.startswith("transformers")
    pieces = list(llm.stream("你是小海。", "三年期定期存款利率是多少？"))
    assert len(pieces) >= 1 and all(pieces)

    # The same greedy generation run directly: the streamed text is exactly what the model produced.
    tokenizer = AutoTokenizer.from_pretrained(tiny_checkpoint)
    model = AutoModelForCausalLM.from_pretrained(tiny_checkpoint).eval()
    prompt = tokenizer.apply_chat_template([{"role": "system", "content": "你是小海。"},
                                            {"role": "user", "content": "三年期定期存款利率是多少？"}],
                                           tokenize=False, add_generation_prompt=True)
    inputs = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
    with torch.inference_mode():
        out = model.generate(**inputs, max_new_tokens=12, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    expected = tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
    assert "".join(pieces) == expected


def test_the_transformers_backend_needs_a_checkpoint_folder(tmp_path: Path):
    with pytest.raises(ValueError, match="DE_LLM_PATH"):
        ChatLLM(_settings(tmp_path, llm_backend="transformers"))
    with pytest.raises(ValueError, match="no config.json"):
        ChatLLM(_settings(tmp_path, llm_backend="transformers", llm_path=tmp_path))


def test_the_openai_backend_needs_a_server_url(tmp_path: Path):
    with pytest.raises(ValueError, match="LLM_BASE_URL"):
        ChatLLM(_settings(tmp_path, llm_backend="openai", llm_base_url=None))


@pytest.mark.slow
def test_warming_caches_the_fixed_prompt_prefix_for_every_later_question(demo_answerer):
    """A never-seen prompt that shares only the system prompt reuses its KV cache (llama.cpp reports
    the reused tokens as ``cache_n``): the prefix is byte-identical and the server keeps it."""
    import time

    import httpx

    assert demo_answerer.warm("zh") > 0
    system = demo_answerer.system_prompt("zh")
    assert system == demo_answerer.system_prompt("zh")  # rendered the same way every time
    body = {"model": "local", "max_tokens": 1, "temperature": 0, "cache_prompt": True,
            "messages": [{"role": "system", "content": system},
                         {"role": "user", "content": f"[{time.time_ns()}] 三年期定期存款利率是多少？"}]}
    response = httpx.post(f"{demo_answerer.llm.server_url()}/chat/completions", json=body, timeout=300)
    timings = response.json()["timings"]
    assert timings["cache_n"] >= 100, timings  # the system prompt alone is a few hundred tokens
