"""The benchmark's parts behave (timings themselves are never asserted)."""
from dashboard.bench import encoder_flops, inflate, write_bench_corpus


def test_bench_corpus_has_distinct_dated_paragraphs(tmp_path):
    from dashboard.ingest import iter_paths, read_document

    n = write_bench_corpus(tmp_path, 120, per_article=8)
    arts = [read_document(p.name, p.read_bytes()) for p in iter_paths([tmp_path])]
    paras = [p.text for a in arts for p in a.paragraphs]
    assert n == 120 and len(arts) == 15 and len(paras) == 120 and len(set(paras)) == 120
    assert all(a.date for a in arts)


def test_bench_encoder_flops_counts_matmuls():
    # one layer, 1 token, hidden 2, intermediate 4: 2*(4*2*2 + 2*2*4) + 2*2*1*1*2 = 2*32 + 8
    assert encoder_flops(1, 2, 4, 1) == 72.0
    assert encoder_flops(10, 384, 1536, 6) == 6 * encoder_flops(10, 384, 1536, 1)


def test_bench_inflate_and_filter_on_seed_tables(seed_store):
    from dashboard.bench import filter_ms
    from dashboard.store import Store

    tables = Store(seed_store).read()
    big = inflate(tables, 100)
    assert len(big["paragraphs"]) == 100
    assert big["paragraphs"]["article_id"].nunique() == 13
    ms, index_ms = filter_ms(big, repeats=1)
    assert ms > 0 and index_ms > 0
