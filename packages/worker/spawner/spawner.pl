# dist-exec spawner: forks and execs a worker's jobs from a small process.
#
# Forking copies the page tables of the process that forks, so a spawn from a
# 100 MiB Node worker costs a millisecond or more of CPU; from this process
# (a few MiB) it costs a fraction of that. The worker sends requests on our
# stdin and reads events on our stdout. spawner.c is the same program in C,
# without a fork; the worker runs it instead wherever it was built (npm ci,
# with a C compiler). This one does what the C one does except resource
# limits (the worker puts `prlimit` in front of the command instead) and
# memory use (it reports CPU time only).
#
# A job ends when its main process exits: whatever it left behind is killed
# then (its process group, everything in its cgroup, and without a cgroup the
# orphans that carry its marker in their environment: this process is a child
# subreaper where the architecture's prctl number is known). When the worker
# goes away (our stdin closes), every job is killed before this process exits.
#
# Requests (worker -> spawner): u32 length, a1 kind, u32 id, then
#   B (base env): u32 count, count NUL-terminated "k=v" strings. Perl itself
#     runs with a bare environment, so that PERL5OPT and friends meant for the
#     jobs cannot change this program; the jobs get this one.
#   K (kill): u32 signal
#   S (start): u32 argc, envc, uid, gid, ngroups, ngroups x u32 group,
#     u32 nlimits, nlimits x (u32 resource, u64 soft, u64 hard) (ignored here),
#     u32 ndirs, nwrites, nreads, flags, then NUL-terminated strings: file,
#     cwd, argv..., env..., cgroup dirs..., (path, value) per write, read
#     paths..., marker; then stdin bytes. uid/gid 0xffffffff: keep ours.
# Events (spawner -> worker): a1 type, u32 id, u32 length, data:
#   S started (pid)   E could not start ("stage errno")   O stdout   R stderr
#   X ended: "code signal cpu_us maxrss_kb clean", then per read path a NUL
#     and the file's content.
use strict;
use warnings;
use Config ();
use POSIX ();
use Time::HiRes ();

use constant KEEP => 0xffffffff;
use constant FLAG_REMOVE => 1;
use constant ENDING => 2.0;    # seconds what a job left behind may take to die
use constant TICK => 0.01;

# We live as long as the worker, which ends us by closing our stdin.
my @IGNORED = qw(PIPE INT QUIT HUP TERM);
$SIG{$_} = 'IGNORE' for @IGNORED;
binmode STDIN;
binmode STDOUT;
open(my $devnull, '<', '/dev/null') or die "dist-exec spawner: /dev/null: $!\n";

# Orphans of jobs become our children (PR_SET_CHILD_SUBREAPER = 36), so they are reaped and can be killed.
my %PRCTL = (x86_64 => 157, aarch64 => 167, arm => 172, i386 => 172, i686 => 172);
my ($arch) = ($Config::Config{archname} =~ /^(x86_64|aarch64|arm|i[36]86)/);
syscall($PRCTL{$arch}, 36, 1, 0, 0, 0) if $arch;

# A child's exit must wake select(): the handler writes to a pipe select() watches.
pipe(my $wake_r, my $wake_w) or die "dist-exec spawner: pipe: $!\n";
nonblocking($wake_r);
nonblocking($wake_w);
$SIG{CHLD} = sub { syswrite($wake_w, 'x') };

my %jobs;      # id -> job
my %by_pid;    # pid -> job (main processes not yet reaped)
my %readers;   # fileno -> [job, type]
my %writers;   # fileno -> job (stdin still to write)
my $in = '';
my $out = '';
my $worker_gone = 0;

sub nonblocking {
  my ($fh) = @_;
  my $flags = fcntl($fh, POSIX::F_GETFL(), 0) or die "dist-exec spawner: fcntl: $!\n";
  fcntl($fh, POSIX::F_SETFL(), $flags | POSIX::O_NONBLOCK()) or die "dist-exec spawner: fcntl: $!\n";
}

sub event {
  my ($type, $id, $data) = @_;
  return if $worker_gone;
  $out .= pack('a1 N N', $type, $id, length $data) . $data;
}

sub flush_out {
  while (length $out && !$worker_gone) {
    my $n = syswrite(STDOUT, $out);
    if (!defined $n) {
      next if $!{EINTR};
      if ($!{EAGAIN}) {
        my $w = '';
        vec($w, 1, 1) = 1;
        select(undef, $w, undef, undef);
        next;
      }
      $worker_gone = 1;    # EPIPE: the worker is gone; its jobs are killed in the main loop
      last;
    }
    substr($out, 0, $n, '');
  }
  $out = '';
}

sub slurp {
  my ($path) = @_;
  open(my $fh, '<', $path) or return undef;
  local $/;
  my $text = <$fh>;
  close($fh);
  return $text // '';
}

sub write_file {
  my ($path, $value) = @_;
  open(my $fh, '>', $path) or return $! + 0;
  my $ok = syswrite($fh, $value);
  my $error = defined $ok ? 0 : $! + 0;
  close($fh);
  return $error;
}

sub children_of {
  my ($pid) = @_;
  my @children;
  opendir(my $tasks, "/proc/$pid/task") or return ();
  for my $task (readdir $tasks) {
    next if $task =~ /^\./;
    my $text = slurp("/proc/$pid/task/$task/children") // '';
    push @children, grep { /^\d+$/ } split(' ', $text);
  }
  closedir($tasks);
  return @children;
}

sub signal_tree {
  my ($pid, $sig, $depth) = @_;
  my @children = $depth < 64 ? children_of($pid) : ();
  my $count = kill($sig, $pid);
  $count += signal_tree($_, $sig, $depth + 1) for @children;
  return $count;
}

sub signal_orphans {
  my ($marker, $sig) = @_;
  my $count = 0;
  for my $child (children_of($$)) {
    next if $by_pid{$child};
    my $environ = slurp("/proc/$child/environ") // '';
    next unless grep { $_ eq $marker } split(/\0/, $environ);
    $count += signal_tree($child, $sig, 0);
  }
  return $count;
}

# Everything of the job: its group (while its main process is ours to reap), its cgroup, its marked orphans.
sub signal_job {
  my ($job, $sig, $group) = @_;
  my $count = $group ? kill($sig, -$job->{pid}) : 0;
  if (@{ $job->{dirs} }) {
    my $dir = $job->{dirs}[0];
    write_file("$dir/cgroup.kill", '1') if $sig eq 'KILL' && @{ $job->{dirs} } == 1;    # v2: one dir
    my $procs = slurp("$dir/cgroup.procs") // '';
    $count += kill($sig, grep { /^\d+$/ } split(/\n/, $procs));
  } elsif (length $job->{marker}) {
    $count += signal_orphans($job->{marker}, $sig);
  }
  return $count;
}

sub cgroup_empty {
  my ($job) = @_;
  return 1 unless @{ $job->{dirs} };
  my $procs = slurp("$job->{dirs}[0]/cgroup.procs");
  return !defined $procs || $procs eq '';
}

sub child_failed {
  my ($report, $stage) = @_;
  syswrite($report, pack('N', $! + 0) . $stage);
  POSIX::_exit(127);
}

sub start {
  my ($id, $r) = @_;
  for my $dir (@{ $r->{dirs} }) {
    next if mkdir($dir, 0755) || $!{EEXIST};
    # The worker's own dir went away (removed under it): make it again, once.
    if ($!{ENOENT} && $dir =~ m{^(.+)/[^/]+$}) {
      next if (mkdir($1, 0755) || $!{EEXIST}) && (mkdir($dir, 0755) || $!{EEXIST});
    }
    event('E', $id, 'cgroup ' . ($! + 0));
    return;
  }
  for my $write (@{ $r->{writes} }) {
    my $error = write_file(@$write);
    next unless $error;
    if ($r->{flags} & FLAG_REMOVE) { rmdir($_) for @{ $r->{dirs} } }
    event('E', $id, "cgroup $error");
    return;
  }
  my ($out_r, $out_w, $err_r, $err_w, $in_r, $in_w, $report_r, $report_w);
  unless (pipe($out_r, $out_w) && pipe($err_r, $err_w) && pipe($report_r, $report_w) && (!length($r->{stdin}) || pipe($in_r, $in_w))) {
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
    for my $dir (@{ $r->{dirs} }) {
      open(my $procs, '>', "$dir/cgroup.procs") or child_failed($report_w, 'cgroup');
      syswrite($procs, '0') or child_failed($report_w, 'cgroup');
      close($procs);
    }
    # A session of its own, as child_process's `detached` gives: its own
    # process group (the worker signals the group) and no controlling terminal.
    POSIX::setsid();
    if ($r->{uid} != KEEP) {
      # $) = "egid groups...": the effective gid and setgroups(2); then the real ids.
      $) = join(' ', $r->{gid}, @{ $r->{groups} } ? @{ $r->{groups} } : ($r->{gid}));
      POSIX::setgid($r->{gid}) or child_failed($report_w, 'user');
      POSIX::setuid($r->{uid}) or child_failed($report_w, 'user');
      $< == $r->{uid} or child_failed($report_w, 'user');
    }
    if (length $r->{cwd}) { chdir($r->{cwd}) or child_failed($report_w, 'cwd') }
    POSIX::dup2(fileno($in_r // $devnull), 0);
    POSIX::dup2(fileno($out_w), 1);
    POSIX::dup2(fileno($err_w), 2);
    $SIG{$_} = 'DEFAULT' for @IGNORED, 'CHLD';
    POSIX::sigprocmask(POSIX::SIG_SETMASK(), POSIX::SigSet->new());
    for my $pair (@{ $r->{env} }) {
      my $eq = index($pair, '=');
      $ENV{ substr($pair, 0, $eq) } = substr($pair, $eq + 1);
    }
    exec { $r->{file} } @{ $r->{argv} } or child_failed($report_w, 'exec');
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
    if ($r->{flags} & FLAG_REMOVE) { rmdir($_) for @{ $r->{dirs} } }
    event('E', $id, "$stage $errno");
    return;
  }
  my $job = {
    id => $id, pid => $pid, open => 2, status => undef, cpu => 0, ending => 0,
    dirs => $r->{dirs}, reads => $r->{reads}, remove => $r->{flags} & FLAG_REMOVE,
    marker => @{ $r->{dirs} } ? '' : $r->{marker},
  };
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
    $job->{stdin} = $r->{stdin};
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

sub close_output {
  my ($job) = @_;
  for my $type ('out', 'err') {
    my $fh = delete $job->{$type} or next;
    delete $readers{ fileno $fh };
    close($fh);
  }
  $job->{open} = 0;
}

sub finish {
  my ($job, $clean) = @_;
  close_stdin($job);
  close_output($job);
  my $status = $job->{status};
  my $signal = $status & 127;
  my $head = ($signal ? "-1 $signal" : ($status >> 8) . ' 0') . sprintf(' %d 0 %d', $job->{cpu} * 1e6, $clean);
  event('X', $job->{id}, join("\0", $head, map { slurp($_) // '' } @{ $job->{reads} }));
  if ($job->{remove}) { rmdir($_) for @{ $job->{dirs} } }
  delete $jobs{ $job->{id} };
}

sub maybe_done {
  my ($job) = @_;
  return unless defined $job->{status};
  return finish($job, 1) if $job->{open} == 0 && cgroup_empty($job);
  finish($job, cgroup_empty($job) ? 1 : 0) if now() >= $job->{deadline};
}

sub now { return Time::HiRes::time() }

sub begin_ending {
  my ($job) = @_;
  if (!$job->{ending}) {
    $job->{ending} = 1;
    $job->{deadline} = now() + ENDING;
  }
  $job->{next_tick} = now() + TICK;
  signal_job($job, 'KILL', 1);
}

sub tick {
  my ($job) = @_;
  return if now() < ($job->{next_tick} // 0);
  $job->{next_tick} = now() + TICK;
  signal_job($job, 'KILL', !defined $job->{status});
}

sub reap {
  while (1) {
    my @before = times;
    my $pid = waitpid(-1, POSIX::WNOHANG());
    last if $pid <= 0;
    my $status = $?;
    my @after = times;
    my $job = delete $by_pid{$pid} or next;    # an orphan of a job, adopted by us: reaped so it leaves no zombie
    $job->{status} = $status;
    # CPU of the main process and the children it waited for: what this waitpid added to ours.
    $job->{cpu} = ($after[2] + $after[3]) - ($before[2] + $before[3]);
    begin_ending($job);
    maybe_done($job);
  }
}

sub take_strings {
  my ($frame, $at, $count) = @_;
  my @strings;
  for (1 .. $count) {
    my $nul = index($$frame, "\0", $$at);
    die "dist-exec spawner: malformed request from the worker\n" if $nul < 0;
    push @strings, substr($$frame, $$at, $nul - $$at);
    $$at = $nul + 1;
  }
  return @strings;
}

sub read_requests {
  while (length($in) >= 4) {
    my $length = unpack('N', $in);
    return if length($in) < 4 + $length;
    my $frame = substr($in, 4, $length);
    substr($in, 0, 4 + $length, '');
    my ($kind, $id) = unpack('a1 N', $frame);
    my $at = 5;
    my $u32 = sub { my $v = unpack('N', substr($frame, $at, 4)); $at += 4; $v };
    if ($kind eq 'B') {
      my @env = take_strings(\$frame, \$at, $u32->());
      %ENV = map { my $eq = index($_, '='); (substr($_, 0, $eq), substr($_, $eq + 1)) } @env;
    } elsif ($kind eq 'K') {
      my $number = $u32->();
      my $job = $jobs{$id} or next;
      my ($name) = grep { POSIX->can("SIG$_") && POSIX->can("SIG$_")->() == $number } qw(KILL TERM INT HUP QUIT USR1 USR2);
      next unless $name;
      if ($name eq 'KILL') { begin_ending($job) }
      else { signal_job($job, $name, !defined $job->{status}) }
    } elsif ($kind eq 'S') {
      my %r;
      my $argc = $u32->();
      my $envc = $u32->();
      $r{uid} = $u32->();
      $r{gid} = $u32->();
      $r{groups} = [ map { $u32->() } 1 .. $u32->() ];
      $at += 20 * $u32->();    # resource limits: set by prlimit in the command instead
      my ($ndirs, $nwrites, $nreads) = ($u32->(), $u32->(), $u32->());
      $r{flags} = $u32->();
      ($r{file}, $r{cwd}) = take_strings(\$frame, \$at, 2);
      $r{argv} = [ take_strings(\$frame, \$at, $argc) ];
      $r{env} = [ take_strings(\$frame, \$at, $envc) ];
      $r{dirs} = [ take_strings(\$frame, \$at, $ndirs) ];
      my @writes = take_strings(\$frame, \$at, 2 * $nwrites);
      $r{writes} = [ map { [ $writes[ 2 * $_ ], $writes[ 2 * $_ + 1 ] ] } 0 .. $nwrites - 1 ];
      $r{reads} = [ take_strings(\$frame, \$at, $nreads) ];
      ($r{marker}) = take_strings(\$frame, \$at, 1);
      $r{stdin} = substr($frame, $at);
      start($id, \%r);
    } else {
      die "dist-exec spawner: malformed request from the worker\n";
    }
  }
}

# The worker is gone: kill every job, wait (a little) for them to die and be reaped, remove their cgroups, exit.
sub shut_down {
  $worker_gone = 1;
  begin_ending($_) for values %jobs;
  my $deadline = now() + ENDING + 0.5;
  while (%jobs && now() < $deadline) {
    select(undef, undef, undef, TICK);
    reap();
    for my $job (values %jobs) {
      for my $type ('out', 'err') {
        my $fh = $job->{$type} or next;
        my $n;
        1 while ($n = sysread($fh, my $drain, 65536));
        next if !defined $n && ($!{EAGAIN} || $!{EINTR});
        delete $readers{ fileno $fh };
        close($fh);
        delete $job->{$type};
        $job->{open} -= 1;
      }
      tick($job);
      maybe_done($job);
    }
  }
  exit 0;
}

while (1) {
  shut_down() if $worker_gone;
  my ($rin, $win) = ('', '');
  vec($rin, 0, 1) = 1;
  vec($rin, fileno($wake_r), 1) = 1;
  vec($rin, $_, 1) = 1 for keys %readers;
  vec($win, $_, 1) = 1 for keys %writers;
  my $ending = grep { defined $_->{status} } values %jobs;
  my $ready = select(my $rout = $rin, my $wout = $win, undef, $ending ? TICK : undef);
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
    next unless $readers{$fd} && vec($rout, $fd, 1);
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
    delete $job->{ $type eq 'O' ? 'out' : 'err' };
    $job->{open} -= 1;
    maybe_done($job);
  }
  for my $fd (keys %writers) {
    next unless $writers{$fd} && vec($wout, $fd, 1);
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
  for my $job (values %jobs) {
    next unless defined $job->{status};
    tick($job);
    maybe_done($job);
  }
  if (vec($rout, 0, 1)) {
    my $n = sysread(STDIN, $in, 262144, length $in);
    if (defined $n && $n == 0) {
      flush_out();
      shut_down();    # the worker is gone
    }
    read_requests() if $n;
  }
  flush_out();
}
