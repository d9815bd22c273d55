"""Letters from an existing mailbox: Dovecot (Debian's dovecot-imapd) on loopback holds the mail, imaplib reads it.

The test appends real MIME messages to the mailbox over IMAP, runs `dangjian mailin --imap URL --once`, and checks
that letters appear, that a message becomes \\Seen only once its letter is committed, that a message that cannot be
a letter is flagged and not tried again, and that a crash before the flag neither loses nor doubles a letter.
"""

from __future__ import annotations

import imaplib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from email.header import Header
from email.mime.text import MIMEText
from pathlib import Path

import pytest
from django.core.management import call_command

from dangjian.supervision import imap, mailin
from dangjian.supervision.models import Letter, Source
from tests.conftest import need

USER, PASSWORD = "letters@huichang", "imap-test-passphrase"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CONF = """base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@pytest.fixture(scope="module")
def dovecot():
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
    need(binary is not None, "Dovecot is not installed (apt-get install dovecot-imapd)")
    need(os.geteuid() == 0, "the Dovecot test peer runs its own instance, which needs root")
    import pwd

    mail_user = pwd.getpwnam("dovecot")
    d = Path(tempfile.mkdtemp(prefix="dangjian-dovecot-"))
    d.chmod(0o755)
    for sub in ("run", "state", "home"):
        (d / sub).mkdir()
    os.chown(d / "home", mail_user.pw_uid, mail_user.pw_gid)
    (d / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = _free_port()
    (d / "dovecot.conf").write_text(CONF.format(d=d, uid=mail_user.pw_uid, gid=mail_user.pw_gid, port=port))
    proc = subprocess.Popen([binary, "-F", "-c", str(d / "dovecot.conf")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)  # fmt: skip
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"Dovecot did not start: {(d / 'dovecot.log').read_text(errors='replace')}")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def mailbox(dovecot, monkeypatch, transactional_db, channels):
    """An empty INBOX; returns an IMAP client to fill and inspect it (the test's own, not the poller's)."""
    monkeypatch.setenv("DANGJIAN_IMAP_PASSWORD", PASSWORD)
    client = imaplib.IMAP4("127.0.0.1", dovecot)
    client.login(USER, PASSWORD)
    client.select("INBOX")
    _status, data = client.uid("SEARCH", "ALL")
    if data and data[0]:
        client.uid("STORE", b",".join(data[0].split()), "+FLAGS.SILENT", r"(\Deleted)")
        client.expunge()
    yield client
    client.logout()


def url(port: int, query: str = "") -> str:
    return f"imap://{USER.replace('@', '%40')}@127.0.0.1:{port}/INBOX{query}"


def message(to: str, subject: str, body: str, sender: str = "刘建华 <liu@example.com>") -> bytes:
    msg = MIMEText(body, "plain", "gb18030")
    name, address = sender.split(" <")
    msg["From"] = f"{Header(name, 'gb18030').encode()} <{address}"
    msg["To"] = to
    msg["Subject"] = Header(subject, "gb18030")
    return msg.as_bytes()


def flags(client) -> list[bytes]:
    """One FETCH response line per message in the box, with its flags (read on a connection of its own, which
    has no unsolicited updates of earlier changes mixed into the answer)."""
    fresh = imaplib.IMAP4(client.host, client.port)
    fresh.login(USER, PASSWORD)
    fresh.select("INBOX", readonly=True)
    _status, data = fresh.uid("FETCH", "1:*", "(FLAGS)")
    fresh.logout()
    return [line for line in data if isinstance(line, bytes)]


def test_unseen_mail_becomes_letters_and_is_marked_seen_after_the_commit(mailbox, dovecot, capsys):
    mailbox.append("INBOX", None, None, message("voice@dangjian.localhost", "村道路灯损坏", "上坑村的路灯坏了。"))
    mailbox.append("INBOX", None, None, message("secretary@dangjian.localhost", "建议增加公交班次", "早晚太挤。"))
    call_command("mailin", imap=url(dovecot), once=True)
    assert "2 letters, 0 refused" in capsys.readouterr().out
    letters = {letter.channel.code: letter for letter in Letter.objects.all()}
    assert set(letters) == {"voice", "secretary"}
    assert letters["voice"].title == "村道路灯损坏" and letters["voice"].source == Source.EMAIL
    assert letters["voice"].contact_email == "liu@example.com"
    assert all(b"\\Seen" in line for line in flags(mailbox))
    call_command("mailin", imap=url(dovecot), once=True)  # nothing unseen: nothing new
    assert Letter.objects.count() == 2


def test_a_mailbox_of_one_channel_takes_every_message_for_that_channel(mailbox, dovecot):
    mailbox.append("INBOX", None, None, message("shujixinxiang@jiangxi.gov.cn", "反映问题", "请书记关注。"))
    call_command("mailin", imap=url(dovecot, "?channel=secretary"), once=True)
    assert Letter.objects.get().channel.code == "secretary"


def test_a_message_that_cannot_be_a_letter_is_flagged_and_not_tried_again(mailbox, dovecot):
    mailbox.append("INBOX", None, None, message("voice@dangjian.localhost", "", " "))
    result = imap.poll_once(imap.Mailbox.from_url(url(dovecot)))
    assert (result.delivered, result.refused) == (0, 1) and result.reasons[0].startswith("554")
    (line,) = flags(mailbox)
    assert b"\\Seen" in line and imap.REFUSED_FLAG.encode() in line
    assert not Letter.objects.exists()
    assert imap.poll_once(imap.Mailbox.from_url(url(dovecot))).refused == 0


def test_a_fault_of_ours_leaves_the_message_unseen_for_the_next_pass(mailbox, dovecot, monkeypatch):
    mailbox.append("INBOX", None, None, message("voice@dangjian.localhost", "村道路灯损坏", "上坑村的路灯坏了。"))
    real = mailin.deliver

    def broken(*args, **kwargs):
        raise RuntimeError("database away")

    monkeypatch.setattr(mailin, "deliver", broken)
    box = imap.Mailbox.from_url(url(dovecot))
    assert imap.poll_once(box).retry == 1
    (line,) = flags(mailbox)
    assert b"\\Seen" not in line and not Letter.objects.exists()
    monkeypatch.setattr(mailin, "deliver", real)
    assert imap.poll_once(box).delivered == 1 and Letter.objects.count() == 1


def test_a_crash_between_the_commit_and_the_flag_delivers_once(mailbox, dovecot, monkeypatch):
    """The letter committed, then the poller died before STORE \\Seen: the next pass finds the message again, and
    the duplicate check keeps the letter single."""
    mailbox.append("INBOX", None, None, message("voice@dangjian.localhost", "村道路灯损坏", "上坑村的路灯坏了。"))
    box = imap.Mailbox.from_url(url(dovecot))
    real_uid = imaplib.IMAP4.uid

    def dies_at_store(self, command, *args):
        if command == "STORE":
            raise OSError("killed")
        return real_uid(self, command, *args)

    monkeypatch.setattr(imaplib.IMAP4, "uid", dies_at_store)
    with pytest.raises(OSError):
        imap.poll_once(box)
    monkeypatch.setattr(imaplib.IMAP4, "uid", real_uid)
    assert Letter.objects.count() == 1
    again = imap.poll_once(box)
    assert (again.delivered, again.refused) == (0, 1) and Letter.objects.count() == 1
    (line,) = flags(mailbox)
    assert b"\\Seen" in line


def test_bad_urls_and_a_missing_password_are_clear_errors(channels, monkeypatch):
    from django.core.management.base import CommandError

    monkeypatch.delenv("DANGJIAN_IMAP_PASSWORD", raising=False)
    for bad in ("http://x/INBOX", "imap:///INBOX", "imap://user@host/INBOX", "imap://u:p@host/INBOX?channel=nope"):
        with pytest.raises(CommandError):
            call_command("mailin", imap=bad, once=True)


def test_a_server_that_is_away_is_retried_not_fatal(channels, monkeypatch):
    import threading

    monkeypatch.setenv("DANGJIAN_IMAP_PASSWORD", PASSWORD)
    box = imap.Mailbox.from_url(url(_free_port()))
    stop = threading.Event()
    calls = []
    real = imap.poll_once

    def counting(b, **kw):
        calls.append(1)
        if len(calls) >= 2:
            stop.set()
        return real(b, **kw)

    monkeypatch.setattr(imap, "poll_once", counting)
    imap.run(box, interval=0.01, stop=stop)
    assert len(calls) == 2
