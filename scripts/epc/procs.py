"""Start and stop the processes of a test or demo run.

Every process is started in its own session (so its pid is also its process
group id), its output goes to a log file, and stop_all() terminates exactly
the processes this object started, by pid, even when a test failed.
"""
import os
import signal
import socket
import subprocess
import time


def free_port(proto='both', tries=50):
    """A port that is currently free on 127.0.0.1 (TCP and/or UDP)."""
    for _ in range(tries):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(('127.0.0.1', 0))
        port = t.getsockname()[1]
        try:
            if proto in ('both', 'udp'):
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                try:
                    u.bind(('127.0.0.1', port))
                except OSError:
                    continue
                finally:
                    u.close()
            return port
        finally:
            t.close()
    raise RuntimeError('no free port found')


def port_is_free(port):
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(('127.0.0.1', port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def wait_tcp(port, timeout=10.0, host='127.0.0.1'):
    """Wait until something accepts TCP connections on host:port."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Proc:
    def __init__(self, name, argv, log_path, popen):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.popen = popen

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def log(self):
        try:
            with open(self.log_path, errors='replace') as f:
                return f.read()
        except OSError:
            return ''


class ProcessGroup:
    """The processes of one run."""

    def __init__(self, logdir):
        self.logdir = logdir
        self.procs = []
        os.makedirs(logdir, exist_ok=True)

    def start(self, name, argv, env=None, cwd=None):
        log_path = os.path.join(self.logdir, name + '.log')
        log = open(log_path, 'ab')
        try:
            popen = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env,
                                     cwd=cwd, start_new_session=True)
        finally:
            log.close()
        p = Proc(name, argv, log_path, popen)
        self.procs.append(p)
        return p

    def stop(self, p, timeout=10.0):
        """SIGTERM the process (kamailio's main process then stops its
        children), wait, and SIGKILL its group if anything is left."""
        if p.popen.poll() is None:
            try:
                os.kill(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        # Children (kamailio workers) share the group id == our pid.
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                os.killpg(p.pid, 0)
            except (ProcessLookupError, PermissionError):
                break
            time.sleep(0.05)
        else:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if p.popen.poll() is None:
            p.popen.kill()
            p.popen.wait()
        if p in self.procs:
            self.procs.remove(p)

    def stop_all(self):
        for p in reversed(list(self.procs)):
            self.stop(p)
