#!/usr/bin/env python3
"""
compare.py - interleaved side-by-side rounds: marketfeed vs cryptofeed 2.4.1 (+bbo) on the
real captures, and marketfeed vs barter-data 0.13 vs the scanner floor on the real Binance
spot capture and on the synthetic Binance streams. Prints a markdown table of medians and
same-round ratios, with the spread of the ratios across rounds (the noise).

    bench/compare.py                          # marketfeed = the checkout holding this script
    MF_DIR=/work/wt/perf bench/compare.py     # marketfeed = another checkout (its capture_bench)
    bench/compare.py --rounds 9 --seconds 2 --cpu 1 --out /tmp/cmp --only synth-140,binance-spot

Environment (all optional): MF_DIR (marketfeed checkout; default: this repository),
CARGO_TARGET_DIR (marketfeed's build cache; default /work/target), BARTER_TARGET_DIR
(default /work/target-barter), CF_PY (python of the cryptofeed 2.4.1 venv; default
/work/cf-venv/bin/python), CF_BENCH (default /work/shared/bench/cryptofeed_bench.py),
CAPTURES (default /work/shared/captures).

Every run is pinned with taskset to --cpu (cryptofeed_bench pins itself with --cpu). In each
round every engine of a row runs once, A B C in even rounds and C B A in odd rounds, so a
drift of the machine's speed hits all engines alike; a ratio is taken within one round and
the table shows the median ratio and its [min..max] over the rounds. Clocks: the Rust
harnesses time each frame on the wall clock (std Instant); cryptofeed's figure used here is
its wall-clock frames/s too (`wall_frames_per_s`; its CPU-time figure is in the raw file).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# row name -> (cryptofeed case or None, barter/floor input or None)
CAPTURE_ROWS = [
    ('kraken-v1-book1000', 'kraken_book1000_cs_on'),
    ('binance-spot', 'binance_spot_depth'),
    ('binance-usdm', 'binance_usdm_depth'),
    ('poloniex-v3', 'poloniex_v3_book_lv2'),
    ('okx-v5-books', 'okx_books400_cs_on'),
]
SYNTH = ['synth-140', 'synth-1300', 'synth-3500']


def sh(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-3000:]}")
    return r.stdout


def last_json(out):
    for line in reversed(out.strip().splitlines()):
        if line.startswith('{'):
            return json.loads(line)
    raise RuntimeError(f'no JSON line in: {out[-500:]}')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--rounds', type=int, default=7)
    ap.add_argument('--seconds', type=float, default=1.5, help='measuring time per run (each engine)')
    ap.add_argument('--cpu', type=int, default=1)
    ap.add_argument('--out', default=os.path.join(HERE, 'results'))
    ap.add_argument('--only', default='', help='comma-separated row names')
    ap.add_argument('--no-build', action='store_true', help='use the binaries already in --out')
    a = ap.parse_args()

    mf_dir = os.path.abspath(os.environ.get('MF_DIR', REPO))
    target = os.environ.get('CARGO_TARGET_DIR', '/work/target')
    btarget = os.environ.get('BARTER_TARGET_DIR', '/work/target-barter')
    cf_py = os.environ.get('CF_PY', '/work/cf-venv/bin/python')
    cf_bench = os.environ.get('CF_BENCH', '/work/shared/bench/cryptofeed_bench.py')
    captures = os.environ.get('CAPTURES', '/work/shared/captures')
    os.makedirs(a.out, exist_ok=True)
    data = os.path.join(a.out, 'data')
    mf_bin = os.path.join(a.out, 'mf_capture_bench')
    bb_bin = os.path.join(btarget, 'release', 'barter_bench')
    fl_bin = os.path.join(btarget, 'release', 'floor')
    log = lambda s: print(s, file=sys.stderr, flush=True)

    sha = sh(['git', '-C', mf_dir, 'rev-parse', '--short=10', 'HEAD']).strip()
    dirty = sh(['git', '-C', mf_dir, 'status', '--porcelain', '--untracked-files=no']).strip()
    if not a.no_build:
        log(f'building marketfeed capture_bench in {mf_dir} ({sha}{" +dirty" if dirty else ""})')
        env = dict(os.environ, CARGO_TARGET_DIR=target)
        sh(['cargo', 'build', '--release', '--example', 'capture_bench'], cwd=mf_dir, env=env)
        # The shared cache's binary is overwritten by other checkouts' builds: keep our copy.
        shutil.copy2(os.path.join(target, 'release', 'examples', 'capture_bench'), mf_bin)
        log('building bench/barter (barter_bench, floor, gen)')
        env = dict(os.environ, CARGO_TARGET_DIR=btarget)
        sh(['cargo', 'build', '--release'], cwd=os.path.join(HERE, 'barter'), env=env)
        sh([os.path.join(btarget, 'release', 'gen'), data])
    mf_ws = '--ws' in sh([mf_bin, '--help'])
    if not mf_ws:
        log('this checkout\'s capture_bench has no --ws: marketfeed is left out of the synthetic rows')

    fx = os.path.join(mf_dir, 'tests', 'fixtures')
    spot = (os.path.join(fx, 'binance', 'BINANCE.ws.1.0'), os.path.join(fx, 'binance', 'BINANCE.http.0.0'))
    inputs = {'binance-spot': spot}
    for n in SYNTH:
        inputs[n] = (os.path.join(data, f'{n}.ws.1.0'), os.path.join(data, f'{n}.http.0.0'))
    pin = ['taskset', '-c', str(a.cpu)]
    secs = str(a.seconds)

    def mf(row):
        if row in inputs and row.startswith('synth'):
            ws, http = inputs[row]
            cmd = [mf_bin, '--seconds', secs, '--view', 'top10', '--ws', ws, '--http', http, '--name', row]
        else:
            cmd = [mf_bin, '--seconds', secs, '--view', 'top10', '--only', row]
        j = last_json(sh(pin + cmd, cwd=mf_dir))
        return j['frames_per_s'], j

    def rust(binary):
        def run(row):
            ws, http = inputs[row]
            j = last_json(sh(pin + [binary, '--seconds', secs, '--view', 'top10', '--ws', ws, '--http', http, '--name', row]))
            return j['frames_per_s'], j
        return run

    def cf(case):
        def run(row):
            tmp = os.path.join(a.out, 'cf_last.json')
            sh([cf_py, cf_bench, captures, '--only', case, '--callback', 'bbo', '--runs', '1', '--max-rounds', '1',
                '--min-seconds', secs, '--wait-quiet', '0', '--cpu', str(a.cpu), '--json', tmp])
            with open(tmp) as fp:
                r = json.load(fp)['results'][0]
            if 'error' in r or 'skipped' in r:
                raise RuntimeError(f'cryptofeed {case}: {r}')
            return r['wall_frames_per_s']['median'], {'cpu_frames_per_s': r['frames_per_s']['median'],
                                                      'wall_frames_per_s': r['wall_frames_per_s']['median'],
                                                      'update_frames': r['update_frames_per_pass']}
        return run

    rows = []
    for name, case in CAPTURE_ROWS:
        eng = [('marketfeed', mf), ('cryptofeed', cf(case))]
        if name in inputs:
            eng += [('barter', rust(bb_bin)), ('floor', rust(fl_bin))]
        rows.append((name, eng))
    for n in SYNTH:
        eng = ([('marketfeed', mf)] if mf_ws else []) + [('barter', rust(bb_bin)), ('floor', rust(fl_bin))]
        rows.append((n, eng))
    if a.only:
        want = a.only.split(',')
        rows = [r for r in rows if r[0] in want]

    raw_path = os.path.join(a.out, f'raw-{sha}.jsonl')
    results = {name: {e: [] for e, _ in eng} for name, eng in rows}
    t_start = time.time()
    with open(raw_path, 'w') as raw:
        for rnd in range(a.rounds):
            log(f'round {rnd + 1}/{a.rounds} ({time.time() - t_start:.0f} s)')
            for name, eng in rows:
                order = eng if rnd % 2 == 0 else list(reversed(eng))
                for e, fn in order:
                    fps, j = fn(name)
                    results[name][e].append(fps)
                    raw.write(json.dumps({'round': rnd, 'row': name, 'engine': e, 'fps': fps, 'detail': j}) + '\n')
                log(f'  {name}: ' + ', '.join(f'{e} {results[name][e][-1]:,.0f}' for e, _ in eng))

    def ratio_cell(name, num, den):
        rs = [x / y for x, y in zip(results[name].get(num, []), results[name].get(den, []))]
        if not rs:
            return '-', None
        med = statistics.median(rs)
        return f'{med:.2f} [{min(rs):.2f}..{max(rs):.2f}]', (max(rs) / min(rs) - 1) * 100

    def med(name, e):
        v = results[name].get(e)
        return f'{statistics.median(v) / 1e3:,.0f} k' if v else '-'

    lines = [
        f'marketfeed {sha}{" (+uncommitted changes)" if dirty else ""} at {mf_dir}; {time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}; '
        f'{a.rounds} interleaved rounds, {a.seconds} s per run, taskset cpu {a.cpu}; ratios: median over rounds of the '
        'same-round ratio [min..max]; noise: max/min - 1 of those ratios',
        '',
        '| input | marketfeed top-10 fr/s | cryptofeed +bbo fr/s | barter-data fr/s | floor fr/s '
        '| mf / cryptofeed | mf / barter | mf / floor | noise cf / bd / floor |',
        '| --- | ---: | ---: | ---: | ---: | --- | --- | --- | --- |',
    ]
    for name, _ in rows:
        c1, n1 = ratio_cell(name, 'marketfeed', 'cryptofeed')
        c2, n2 = ratio_cell(name, 'marketfeed', 'barter')
        c3, n3 = ratio_cell(name, 'marketfeed', 'floor')
        noise = ' / '.join('-' if n is None else f'{n:.0f}%' for n in (n1, n2, n3))
        lines.append(f'| {name} | {med(name, "marketfeed")} | {med(name, "cryptofeed")} | {med(name, "barter")} '
                     f'| {med(name, "floor")} | {c1} | {c2} | {c3} | {noise} |')
    table = '\n'.join(lines)
    print(table)
    with open(os.path.join(a.out, f'table-{sha}.md'), 'w') as fp:
        fp.write(table + '\n')
    log(f'raw runs: {raw_path}; total {time.time() - t_start:.0f} s')


if __name__ == '__main__':
    main()
