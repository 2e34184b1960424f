# dist-exec spawner: forks and execs a worker's jobs from a small process.
#
# Forking copies the page tables of the process that forks, so a spawn from a
# 100 MiB Node worker costs a millisecond or more of CPU; from this process
# (a few MiB) it costs a fraction of that. The worker sends requests on our
# stdin and reads events on our stdout; it keeps timeouts, cancel and the
# group kill on abort (it signals the job's process group itself).
# spawner.c is the same program in C, without any fork (posix_spawn); the
# worker runs it instead wherever it was built (npm ci, with a C compiler).
#
# Requests (worker -> spawner), one frame each:
#   u32 length, then u32 id, u32 argc, u32 envc, then argc + envc + 2
#   NUL-terminated strings (file, cwd, argv..., env "k=v"...), then stdin bytes.
#   The first request (id 0) only carries the environment every job starts
#   from: perl itself runs with a bare one, so that PERL5OPT and friends meant
#   for the jobs cannot change this program.
# Events (spawner -> worker): a1 type, u32 id, u32 length, data:
#   S started (pid)   E could not start ("stage errno")   O stdout   R stderr
#   X ended ("code signal": code -1 when killed by signal, signal 0 otherwise)
use strict;
use warnings;
use POSIX ();

$SIG{PIPE} = 'IGNORE';
binmode STDIN;
binmode STDOUT;
open(my $devnull, '<', '/dev/null') or die "dist-exec spawner: /dev/null: $!\n";

# A child's exit must wake select(): the handler writes to a pipe select() watches.
pipe(my $wake_r, my $wake_w) or die "dist-exec spawner: pipe: $!\n";
nonblocking($wake_r);
nonblocking($wake_w);
$SIG{CHLD} = sub { syswrite($wake_w, 'x') };

my %jobs;      # id -> job
my %by_pid;    # pid -> job
my %readers;   # fileno -> [job, type]
my %writers;   # fileno -> job (stdin still to write)
my $in = '';
my $out = '';

sub nonblocking {
  my ($fh) = @_;
  my $flags = fcntl($fh, POSIX::F_GETFL(), 0) or die "dist-exec spawner: fcntl: $!\n";
  fcntl($fh, POSIX::F_SETFL(), $flags | POSIX::O_NONBLOCK()) or die "dist-exec spawner: fcntl: $!\n";
}

sub event {
  my ($type, $id, $data) = @_;
  $out .= pack('a1 N N', $type, $id, length $data) . $data;
}

sub flush_out {
  while (length $out) {
    my $n = syswrite(STDOUT, $out);
    if (!defined $n) {
      next if $!{EINTR};
      if ($!{EAGAIN}) {
        my $w = '';
        vec($w, 1, 1) = 1;
        select(undef, $w, undef, undef);
        next;
      }
      exit 0;    # the worker is gone
    }
    substr($out, 0, $n, '');
  }
}

sub child_failed {
  my ($report, $stage) = @_;
  syswrite($report, pack('N', $! + 0) . $stage);
  POSIX::_exit(127);
}

sub start {
  my ($id, $file, $cwd, $argv, $env, $stdin) = @_;
  my ($out_r, $out_w, $err_r, $err_w, $in_r, $in_w, $report_r, $report_w);
  unless (pipe($out_r, $out_w) && pipe($err_r, $err_w) && pipe($report_r, $report_w) && (!length($stdin) || pipe($in_r, $in_w))) {
    event('E', $id, 'pipe ' . ($! + 0));
    return;
  }
  my $pid = fork();
  if (!defined $pid) {
    event('E', $id, 'fork ' . ($! + 0));
    return;
  }
  if ($pid == 0) {
    # Our pipes are close-on-exec (perl sets it above fd 2), so no job inherits another's.
    $SIG{PIPE} = 'DEFAULT';
    $SIG{CHLD} = 'DEFAULT';
    POSIX::sigprocmask(POSIX::SIG_SETMASK(), POSIX::SigSet->new());
    # A session of its own, as child_process's `detached` gives: its own
    # process group (the worker signals the group) and no controlling terminal.
    POSIX::setsid();
    if (length $cwd) { chdir($cwd) or child_failed($report_w, 'cwd') }
    POSIX::dup2(fileno($in_r // $devnull), 0);
    POSIX::dup2(fileno($out_w), 1);
    POSIX::dup2(fileno($err_w), 2);
    for my $pair (@$env) {
      my $eq = index($pair, '=');
      $ENV{ substr($pair, 0, $eq) } = substr($pair, $eq + 1);
    }
    exec { $file } @$argv or child_failed($report_w, 'exec');
  }
  close($out_w);
  close($err_w);
  close($report_w);
  close($in_r) if $in_r;
  # EOF means the exec succeeded (the report pipe closed on exec); else errno and stage.
  my $report = '';
  while (1) {
    my $n = sysread($report_r, $report, 64, length $report);
    last if defined $n && $n == 0;
    next if !defined $n && $!{EINTR};
    last if !defined $n;
  }
  close($report_r);
  if (length $report >= 4) {
    my ($errno, $stage) = unpack('N a*', $report);
    waitpid($pid, 0);
    close($out_r);
    close($err_r);
    close($in_w) if $in_w;
    event('E', $id, "$stage $errno");
    return;
  }
  my $job = { id => $id, pid => $pid, open => 2, status => undef };
  $jobs{$id} = $job;
  $by_pid{$pid} = $job;
  nonblocking($out_r);
  nonblocking($err_r);
  $job->{out} = $out_r;
  $job->{err} = $err_r;
  $readers{ fileno $out_r } = [ $job, 'O' ];
  $readers{ fileno $err_r } = [ $job, 'R' ];
  if ($in_w) {
    nonblocking($in_w);
    $job->{in} = $in_w;
    $job->{stdin} = $stdin;
    $writers{ fileno $in_w } = $job;
  }
  event('S', $id, $pid);
}

sub close_stdin {
  my ($job) = @_;
  return unless $job->{in};
  delete $writers{ fileno $job->{in} };
  close($job->{in});
  delete $job->{in};
}

sub maybe_done {
  my ($job) = @_;
  return if $job->{open} > 0 || !defined $job->{status};
  close_stdin($job);
  my $status = $job->{status};
  my $signal = $status & 127;
  event('X', $job->{id}, $signal ? "-1 $signal" : ($status >> 8) . ' 0');
  delete $jobs{ $job->{id} };
}

sub reap {
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
    my $job = delete $by_pid{$pid} or next;
    $job->{status} = $?;
    # Whatever the job left running in its group would keep the pipes open and outlive it.
    kill 'KILL', -$pid;
    maybe_done($job);
  }
}

sub read_requests {
  while (length($in) >= 4) {
    my $length = unpack('N', $in);
    return if length($in) < 4 + $length;
    my $frame = substr($in, 4, $length);
    substr($in, 0, 4 + $length, '');
    my ($id, $argc, $envc) = unpack('N N N', $frame);
    my $at = 12;
    my @strings;
    for (1 .. $argc + $envc + 2) {
      my $nul = index($frame, "\0", $at);
      push @strings, substr($frame, $at, $nul - $at);
      $at = $nul + 1;
    }
    my ($file, $cwd) = splice(@strings, 0, 2);
    my @argv = splice(@strings, 0, $argc);
    if ($id == 0) {
      %ENV = map { my $eq = index($_, '='); (substr($_, 0, $eq), substr($_, $eq + 1)) } @strings;
      next;
    }
    start($id, $file, $cwd, \@argv, \@strings, substr($frame, $at));
  }
}

while (1) {
  my ($rin, $win) = ('', '');
  vec($rin, 0, 1) = 1;
  vec($rin, fileno($wake_r), 1) = 1;
  vec($rin, $_, 1) = 1 for keys %readers;
  vec($win, $_, 1) = 1 for keys %writers;
  my $ready = select(my $rout = $rin, my $wout = $win, undef, undef);
  if ($ready < 0) {
    reap();
    flush_out();
    next;
  }
  if (vec($rout, fileno($wake_r), 1)) {
    1 while sysread($wake_r, my $drain, 256);
    reap();
  }
  for my $fd (keys %readers) {
    next unless vec($rout, $fd, 1);
    my ($job, $type) = @{ $readers{$fd} };
    my $fh = $type eq 'O' ? $job->{out} : $job->{err};
    # 64 KiB frames, header included: the size of the worker's reads.
    my $n = sysread($fh, my $data, 65536 - 9);
    next if !defined $n && ($!{EAGAIN} || $!{EINTR});
    if ($n) {
      event($type, $job->{id}, $data);
      next;
    }
    delete $readers{$fd};
    close($fh);
    $job->{open} -= 1;
    maybe_done($job);
  }
  for my $fd (keys %writers) {
    next unless vec($wout, $fd, 1);
    my $job = $writers{$fd};
    my $n = syswrite($job->{in}, $job->{stdin});
    if (!defined $n) {
      next if $!{EAGAIN} || $!{EINTR};
      close_stdin($job);    # EPIPE: the job does not read its input
      next;
    }
    substr($job->{stdin}, 0, $n, '');
    close_stdin($job) unless length $job->{stdin};
  }
  if (vec($rout, 0, 1)) {
    my $n = sysread(STDIN, $in, 262144, length $in);
    if (defined $n && $n == 0) {
      flush_out();
      exit 0;    # the worker is gone
    }
    read_requests() if $n;
  }
  flush_out();
}
