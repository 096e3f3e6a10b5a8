#!/usr/bin/python3
"""Allocator benchmark: atoll against glibc, jemalloc, mimalloc, tcmalloc (and CPython's
pymalloc on the Python workload). Configurations alternate within each repetition so
machine noise spreads over all of them; prints a table and prepends a section to
bench/RESULTS.md. Started through bench/allocators.sh; run with --help for options."""

import argparse
import datetime
import hashlib
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORKLOADS = os.path.join(ROOT, 'tests', 'workloads')
BUILD = os.path.join(ROOT, 'build-bench')
RESULTS = os.path.join(HERE, 'RESULTS.md')
LIBDIR = '/usr/lib/x86_64-linux-gnu'
PYTHON = '/usr/bin/python3.11'
GNU_TIME = '/usr/bin/time' if os.access('/usr/bin/time', os.X_OK) else None
RUN_TIMEOUT = 180  # seconds; xfree spins, so a broken allocator could hang it forever
BUSY_WARNING = (' (**busy machine: wall times, xfree above all, are unreliable; '
                'compare CPU s or rerun when idle**)')

PEERS = {
    'glibc': None,
    'jemalloc': LIBDIR + '/libjemalloc.so.2',
    'mimalloc': LIBDIR + '/libmimalloc.so.2',
    'tcmalloc': LIBDIR + '/libtcmalloc_minimal.so.4',
}
PACKAGES = ['libc6', 'libjemalloc2', 'libmimalloc2.0', 'libtcmalloc-minimal4', 'python3.11']
FAMILIES = ['pyobjs', 'small', 'mixed', 'xfree']
# Chosen so each run takes roughly 0.5-2 s on glibc on the 2-core reference machine.
DEFAULT_N = {'pyobjs': 600000, 'small': 10000000, 'mixed': 800000, 'xfree': 800000}
QUICK_N = {'pyobjs': 200000, 'small': 3000000, 'mixed': 250000, 'xfree': 250000}
# Inherited variables that would change what an allocator does.
SCRUB_PREFIXES = ('ATOLL_', 'MALLOC_', 'MIMALLOC_', 'TCMALLOC_', 'JEMALLOC_')
SCRUB = {'LD_PRELOAD', 'PYTHONMALLOC', 'GLIBC_TUNABLES', 'MALLOC_CONF', 'PYTHONHASHSEED'}

INTRO = """\
# Allocator benchmark results

Run `bench/allocators.sh` (from anywhere; about 5-10 minutes; `--quick` 1-2).
It configures `build-bench/` with `--buildtype=release`, rebuilds `preload/libatoll.so`,
compiles `tests/workloads/allocbench.c` with `cc -O2 -pthread`, then times
`python3.11 tests/workloads/pyobjs.py N` and `allocbench small|mixed|xfree 1|2 N` under atoll
(`ATOLL_MODE=alloc`), glibc, jemalloc, mimalloc, tcmalloc and (Python only) pymalloc,
alternating the configurations within every repetition. Every run's stdout must equal
glibc's, or the script stops with an error. Options: `-r N` repetitions (default 7),
`--quick`, `--only pyobjs,small,mixed,xfree`, `--lib PATH` (another libatoll.so),
`-n WORKLOAD=N`. It never fails because a target is missed; newest results first.
Times are wall-clock medians (perf_counter); `CPU s` is the median user+sys time, less
disturbed than wall time when other processes share the machine (except for xfree, whose
threads spin); peak RSS is GNU time's `%M` (median). Targets compare wall-time medians.
`paired x ref` is the median of the ratios of runs made in the same repetition (seconds apart),
with their interquartile range: on a machine whose speed drifts over minutes it moves less than
the ratio of medians, and a middle half that straddles 1 says the two are not told apart.

The other benchmarks keep files of their own, [ANALYZER.md](ANALYZER.md) (`bench/analyzer.sh`)
and [COLLECTIONS.md](COLLECTIONS.md) (`bench/bigheap.c`); sections below that say so copy
their figures.
"""


def die(msg):
    print('\nERROR: ' + msg, file=sys.stderr, flush=True)
    sys.exit(1)


def sh(argv, cwd=None):
    """Runs a build step quietly; on failure stops with its output."""
    p = subprocess.run(argv, cwd=cwd, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        die('build step failed: %s\n%s' % (shlex.join(argv), '\n'.join(p.stdout.splitlines()[-30:])))


def build(lib):
    """Returns the libatoll.so to benchmark; builds build-bench unless --lib was given."""
    if lib is None:
        if not os.path.exists(os.path.join(BUILD, 'build.ninja')):
            sh(['meson', 'setup', BUILD, '--buildtype=release'], cwd=ROOT)
        with open(os.path.join(BUILD, 'meson-info', 'intro-buildoptions.json')) as f:
            buildtype = next(o['value'] for o in json.load(f) if o['name'] == 'buildtype')
        if buildtype != 'release':
            sh(['meson', 'configure', BUILD, '-Dbuildtype=release'])
        sh(['ninja', '-C', BUILD, 'preload/libatoll.so'])
        lib = os.path.join(BUILD, 'preload', 'libatoll.so')
    os.makedirs(BUILD, exist_ok=True)
    sh(['cc', '-O2', '-pthread', '-o', os.path.join(BUILD, 'allocbench'),
        os.path.join(WORKLOADS, 'allocbench.c')])
    lib = os.path.abspath(lib)
    if not os.path.isfile(lib):
        die('no libatoll.so at ' + lib)
    return lib


def workloads(families, n):
    """(name, argv, is_python) in the order they run within a repetition."""
    out = []
    if 'pyobjs' in families:
        out.append(('pyobjs', [PYTHON, os.path.join(WORKLOADS, 'pyobjs.py'), str(n['pyobjs'])], True))
    for fam in FAMILIES[1:]:
        if fam in families:
            for t in (1, 2):
                out.append(('%s %dT' % (fam, t),
                            [os.path.join(BUILD, 'allocbench'), fam, str(t), str(n[fam])], False))
    return out


def configs(is_python):
    names = ['atoll'] + list(PEERS)
    return names + ['pymalloc'] if is_python else names


def environment(config, is_python, lib):
    env = {k: v for k, v in os.environ.items()
           if k not in SCRUB and not k.startswith(SCRUB_PREFIXES)}
    if is_python:
        env['PYTHONHASHSEED'] = '0'
        if config != 'pymalloc':
            env['PYTHONMALLOC'] = 'malloc'
    if config == 'atoll':
        env['LD_PRELOAD'] = lib
        env['ATOLL_MODE'] = 'alloc'
    elif PEERS.get(config):
        env['LD_PRELOAD'] = PEERS[config]
    return env


def run(argv, env):
    """Runs argv; returns (exit code, wall s, CPU s, peak RSS KiB, stdout, stderr).
    Peak RSS comes from GNU time's %M: a child forked from the small time process, so
    ru_maxrss has no floor from this Python process (a child forked or vforked from here
    counts Python's ~10 MB, as exec folds the old address space into ru_maxrss). Wall time
    is perf_counter around it: %e has only 10 ms resolution and atoll's xfree runs take
    tens of ms. CPU time (user+sys) is a cross-check that suffers less from a busy machine.
    Without /usr/bin/time, falls back to fork+exec and wait4 (with that floor).
    time runs with the preload too, so anything the library prints lands in the capture."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile('r') as rusage:
        actions = [(os.POSIX_SPAWN_DUP2, out.fileno(), 1), (os.POSIX_SPAWN_DUP2, err.fileno(), 2)]
        cmd = [GNU_TIME, '-f', '%U %S %M', '-o', rusage.name] + argv if GNU_TIME else argv
        start = time.perf_counter()
        if GNU_TIME:
            pid = os.posix_spawn(cmd[0], cmd, env, file_actions=actions)
        else:
            pid = os.fork()
            if pid == 0:
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                os.execve(argv[0], argv, env)
        killer = threading.Timer(RUN_TIMEOUT, os.kill, (pid, 9))
        killer.start()
        _, status, usage = os.wait4(pid, 0)
        seconds = time.perf_counter() - start
        killer.cancel()
        rc = os.waitstatus_to_exitcode(status)
        rss, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
        out.seek(0)
        err.seek(0)
        if GNU_TIME:
            fields = rusage.read().split()
            if len(fields) >= 3:
                cpu, rss = float(fields[-3]) + float(fields[-2]), int(fields[-1])
        return (rc, seconds, cpu, rss, out.read().decode(errors='replace'),
                err.read().decode(errors='replace'))


def describe(name, config, argv, env, rc, stderr):
    pre = ' '.join('%s=%s' % (k, env[k]) for k in ('LD_PRELOAD', 'ATOLL_MODE', 'PYTHONMALLOC') if k in env)
    return '%s / %s: `%s %s` exited %d\n%s' % (name, config, pre, shlex.join(argv), rc, stderr[-2000:])


def check_atoll_loads(lib):
    env = environment('atoll', False, lib)
    env['ATOLL_STATS'] = '1'
    rc, _, _, _, _, err = run([os.path.join(BUILD, 'allocbench'), 'small', '1', '1000'], env)
    if rc != 0 or 'atoll: ' not in err:
        die('%s does not seem to load (ATOLL_STATS=1 printed nothing):\n%s' % (lib, err))


def measure(wls, reps, lib):
    """Returns ({(workload, config): [(wall s, CPU s, rss KiB)]}, [warnings]); stops on an error."""
    reference, samples, warnings = {}, {}, []
    for name, argv, is_python in wls:  # untimed glibc warm-up: page cache + expected stdout
        env = environment('glibc', is_python, lib)
        rc, _, _, _, out, err = run(argv, env)
        if rc != 0:
            die(describe(name, 'glibc', argv, env, rc, err))
        reference[name] = out
    for rep in range(reps):
        for name, argv, is_python in wls:
            for config in configs(is_python):
                env = environment(config, is_python, lib)
                rc, secs, cpu, rss, out, err = run(argv, env)
                if rc != 0 or 'cannot be preloaded' in err:
                    die('run failed: ' + describe(name, config, argv, env, rc, err))
                if out != reference[name]:
                    die('STDOUT MISMATCH: %s under %s printed %r, glibc printed %r'
                        % (name, config, out, reference[name]))
                if err.strip():
                    warnings.append('%s / %s, rep %d, stderr: %s'
                                    % (name, config, rep + 1, err.strip()[:300]))
                samples.setdefault((name, config), []).append((secs, cpu, rss))
                print('[%d/%d] %-9s %-9s %7.3f s %7.3f s CPU %8.1f MiB'
                      % (rep + 1, reps, name, config, secs, cpu, rss / 1024),
                      file=sys.stderr, flush=True)
    return samples, warnings


def summarize(wls, samples):
    """Per workload: {config: stats} with ratios, plus the reference used for 'x ref'."""
    table = {}
    for name, _, is_python in wls:
        rows = {}
        for config in configs(is_python):
            runs = samples[(name, config)]
            times = [s for s, _, _ in runs]
            rows[config] = {'t': statistics.median(times), 'min': min(times), 'max': max(times),
                            'cpu': statistics.median(c for _, c, _ in runs),
                            'rss': statistics.median(r for _, _, r in runs)}
        ref = 'pymalloc' if is_python else min(PEERS, key=lambda c: rows[c]['t'])
        for config, r in rows.items():
            r['x_ref'] = r['t'] / rows[ref]['t']
            r['x_glibc'] = r['t'] / rows['glibc']['t']
            r['rss_x_glibc'] = r['rss'] / rows['glibc']['rss']
            r['paired'] = paired(samples[(name, config)], samples[(name, ref)])
            r['paired_glibc'] = paired(samples[(name, config)], samples[(name, 'glibc')])
        table[name] = (rows, ref)
    return table


def paired(runs, ref_runs):
    """Median and quartiles of the ratios of runs made in the same repetition, seconds apart:
    a machine whose speed drifts over minutes (seen: the same run 0.37 s in one minute and
    0.60 s in another) moves both sides of each ratio together."""
    ratios = sorted(a / b for (a, _, _), (b, _, _) in zip(runs, ref_runs))
    if len(ratios) < 2:
        return (ratios[0], ratios[0], ratios[0])
    q = statistics.quantiles(ratios, n=4, method='inclusive')
    return (statistics.median(ratios), q[0], q[2])


def render_table(table):
    lines = ['| workload | config | time s (median) | min-max s | x ref | paired x ref (IQR) '
             '| x glibc | CPU s | peak RSS MiB | RSS x glibc |',
             '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|']
    for name, (rows, ref) in table.items():
        for config, r in rows.items():
            lines.append('| %s | %s%s | %.3f | %.3f-%.3f | %.3f | %.3f (%.3f-%.3f) | %.3f | %.3f '
                         '| %.1f | %.3f |'
                         % (name, config, ' *' if config == ref else '', r['t'], r['min'], r['max'],
                            r['x_ref'], *r['paired'], r['x_glibc'], r['cpu'], r['rss'] / 1024,
                            r['rss_x_glibc']))
    return '\n'.join(lines)


def targets(table):
    out = []

    def verdict(ok):
        return 'PASS' if ok else 'MISS'

    if 'pyobjs' in table:
        rows, _ = table['pyobjs']
        a, x = rows['atoll'], rows['atoll']['x_ref']
        out.append('%s pyobjs time: atoll %.3f s = %.3fx pymalloc %.3f s (target <= 1.00x; '
                   'aim 0.95x %s; paired %s)'
                   % (verdict(x <= 1.0), a['t'], x, rows['pymalloc']['t'],
                      'met' if x <= 0.95 else 'not met', paired_text(a['paired'])))
        out.append('%s pyobjs peak RSS: atoll %.1f MiB vs glibc %.1f MiB (%.3fx; target <= 1.00x)'
                   % (verdict(a['rss'] <= rows['glibc']['rss']), a['rss'] / 1024,
                      rows['glibc']['rss'] / 1024, a['rss_x_glibc']))
    for name, (rows, ref) in table.items():
        a = rows['atoll']
        if name.startswith(('small', 'xfree')):
            out.append('%s %s: atoll %.3f s vs fastest peer %s %.3f s (%.3fx; target <= 1.00x; '
                       'paired %s)'
                       % (verdict(a['t'] <= rows[ref]['t']), name, a['t'], ref, rows[ref]['t'],
                          a['x_ref'], paired_text(a['paired'])))
        elif name.startswith('mixed'):
            out.append('%s %s: atoll %.3f s vs glibc %.3f s (%.3fx; target <= 1.00x; paired %s)'
                       % (verdict(a['t'] <= rows['glibc']['t']), name, a['t'], rows['glibc']['t'],
                          a['x_glibc'], paired_text(a['paired_glibc'])))
    return out


def paired_text(p):
    """The paired ratio, and whether its middle half lies on one side of 1."""
    side = 'below 1' if p[2] < 1 else 'above 1' if p[1] > 1 else 'straddles 1'
    return '%.3fx, middle half %.3f-%.3f, %s' % (p[0], p[1], p[2], side)


def machine(lib, own_build):
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo')
                if l.startswith('model name')), 'unknown')
    mem = next((int(l.split()[1]) for l in open('/proc/meminfo') if l.startswith('MemTotal')), 0)
    pkgs = subprocess.run(['dpkg-query', '-W', '-f', '${Package} ${Version}\\n'] + PACKAGES,
                          capture_output=True, text=True).stdout.split('\n')
    ccv = subprocess.run(['cc', '--version'], capture_output=True, text=True).stdout.split('\n')[0]
    with open(lib, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    atoll = '`%s` (sha256 %s)' % (os.path.relpath(lib, ROOT) if own_build else lib, digest)
    if own_build:
        git = ['git', '-C', ROOT]
        head = subprocess.run(git + ['rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(git + ['status', '--porcelain', '--', 'preload', 'include'],
                               capture_output=True, text=True).stdout.strip()
        atoll += ', built by this script (release) from %s%s' % (
            head or 'unknown commit', ' + uncommitted changes in preload/ or include/' if dirty else '')
    return [
        'Measured with: ' + ('perf_counter wall time, /usr/bin/time %U+%S CPU and %M peak RSS'
                             if GNU_TIME else
                             'perf_counter wall time, wait4 ru_maxrss (no /usr/bin/time: RSS '
                             'includes a ~10 MB floor from the Python runner)'),
        'Machine: nproc %d, %s, %.0f GiB RAM, kernel %s, %s'
        % (len(os.sched_getaffinity(0)), cpu, mem / 1048576, os.uname().release,
           os.confstr('CS_GNU_LIBC_VERSION')),
        'Packages: ' + ', '.join(p for p in pkgs if p) + '; compiler: ' + ccv,
        'atoll: ' + atoll,
    ]


def parse_args():
    p = argparse.ArgumentParser(prog='bench/allocators.sh', description=__doc__)
    p.add_argument('-r', type=int, dest='reps', help='repetitions (default 7, --quick 3)')
    p.add_argument('--quick', action='store_true', help='3 repetitions, smaller N')
    p.add_argument('--only', help='comma-separated subset of ' + ','.join(FAMILIES))
    p.add_argument('--lib', help='benchmark this libatoll.so instead of building build-bench')
    p.add_argument('-n', action='append', default=[], metavar='WORKLOAD=N',
                   help='size of a workload: pyobjs objects or allocbench ops per thread '
                        '(defaults %s; --quick %s)' % (DEFAULT_N, QUICK_N))
    a = p.parse_args()
    a.families = FAMILIES if not a.only else a.only.split(',')
    for fam in a.families:
        if fam not in FAMILIES:
            p.error('--only: unknown workload %r' % fam)
    a.sizes = dict(QUICK_N if a.quick else DEFAULT_N)
    for item in a.n:
        key, _, val = item.partition('=')
        if key not in FAMILIES or not val.isdigit() or int(val) <= 0:
            p.error('-n wants WORKLOAD=N with WORKLOAD in %s' % ','.join(FAMILIES))
        a.sizes[key] = int(val)
    if a.reps is None:
        a.reps = 3 if a.quick else 7
    if a.reps < 1:
        p.error('-r must be at least 1')
    return a


def write_results(section):
    old = ''
    if os.path.exists(RESULTS):
        text = open(RESULTS).read()
        at = text.find('\n## ')
        old = text[at + 1:] if at >= 0 else ''
    with open(RESULTS + '.tmp', 'w') as f:
        f.write(INTRO + '\n' + section + ('\n' + old if old else ''))
    os.replace(RESULTS + '.tmp', RESULTS)


def cpu_snapshot():
    """(CPU seconds busy on the whole machine, CPU seconds used by us and our children)."""
    with open('/proc/stat') as f:
        j = [int(x) for x in f.readline().split()[1:9]]
    busy = (j[0] + j[1] + j[2] + j[5] + j[6] + j[7]) / os.sysconf('SC_CLK_TCK')
    own = sum(getattr(resource.getrusage(who), f) for who in
              (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN) for f in ('ru_utime', 'ru_stime'))
    return busy, own


def foreign_share(before, after, seconds):
    """Fraction of the machine's CPU that other processes used while we measured: the
    load average cannot tell, it counts our own spinning threads."""
    other = (after[0] - before[0]) - (after[1] - before[1])
    return max(0.0, other / (seconds * len(os.sched_getaffinity(0))))


def main():
    args = parse_args()
    started = time.time()
    command = shlex.join(['bench/allocators.sh'] + sys.argv[1:])
    lib = build(args.lib)
    check_atoll_loads(lib)
    wls = workloads(args.families, args.sizes)
    cpu_before, measure_start = cpu_snapshot(), time.time()
    samples, warnings = measure(wls, args.reps, lib)
    busy = foreign_share(cpu_before, cpu_snapshot(), time.time() - measure_start)
    table = summarize(wls, samples)
    elapsed = time.time() - started
    runs = ', '.join('`%s`' % shlex.join([os.path.basename(argv[0])] + [
        os.path.relpath(a, ROOT) if os.path.isabs(a) else a for a in argv[1:]]) for _, argv, _ in wls)
    when = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    section = '\n'.join(
        ['## %s, %d repetitions%s' % (when, args.reps, ' (quick)' if args.quick else ''), '']
        + ['- ' + line for line in
           ['Command: `%s`' % command, 'Runs: ' + runs] + machine(lib, args.lib is None)
           + ['Other processes used %.0f%% of the machine\'s CPU during the measurements%s; '
              'total time %dm%02ds' % (100 * busy, BUSY_WARNING if busy > 0.10 else '',
                                        elapsed // 60, elapsed % 60)]]
        + ['', render_table(table), '',
           '`x ref`: pyobjs = time / pymalloc; allocbench = time / fastest non-atoll peer of '
           'that workload (marked *). Python runs other than pymalloc use PYTHONMALLOC=malloc.',
           '', 'Targets:', '']
        + ['- ' + t for t in targets(table)]
        + ([] if not warnings else ['', 'stderr output during runs:', '']
           + ['- ' + w.replace('\n', ' | ') for w in warnings[:20]])) + '\n'
    print('\n' + section)
    write_results(section)
    print('Wrote %s' % RESULTS)


if __name__ == '__main__':
    main()
