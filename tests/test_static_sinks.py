"""Sink rules, one snippet each: a vulnerable call is found with its CWE, its safe look-alike is not.

Every case is a Flask handler that reads ``v`` (a form field), ``j`` (a JSON
body field) and ``up`` (an uploaded file), then runs the body; the finding must
sit on the body's last line.
"""

from __future__ import annotations

import pytest

from vulnhuntr.static import StaticResult

from test_static import Scan, scan  # noqa: F401  (the fixture, shared with test_static)


HEAD = """\
import asyncio, code, glob, os, pickle, pty, shutil, socket, subprocess, tarfile, timeit, zipfile
import ftplib, http.client, smtplib, urllib.request
from pathlib import Path
from flask import Flask, request, send_file, send_from_directory
app = Flask(__name__)
"""
HANDLER = """
@app.post('/x')
def x():
    v = request.form['v']
    j = request.get_json()
    up = request.files['f']
"""



def app(body: str, imports: str = "") -> tuple[dict[str, str], int]:
    """The app and the line of the body's last statement."""
    source = HEAD + imports + HANDLER + "".join(f"    {line}\n" for line in body.strip("\n").splitlines())
    return {"app.py": source}, source.count("\n")


def findings(result: StaticResult) -> set[tuple[str, int, int]]:
    """(type, CWE, sink line) of each finding: the sink, wherever the finding is placed."""
    return {(f.type.value, f.cwe, f.sink_location.start_line) for f in result.findings}


def check(scan: Scan, body: str, expected: tuple[str, int] | None, imports: str = "") -> None:
    files, last = app(body, imports)
    result = findings(scan(files))
    if expected is None:
        assert result == set(), result
    else:
        assert result == {(*expected, last)}, result


RCE = [
    # eval-like libraries (94)
    ("from PIL import ImageMath\n", "ImageMath.eval(v, a=1)", ("RCE", 94)),
    ("from PIL import ImageMath\n", "ImageMath.unsafe_eval(v)", ("RCE", 94)),
    ("import numexpr\n", "numexpr.evaluate(v)", ("RCE", 94)),
    ("import pandas as pd\n", "pd.eval(v)", ("RCE", 94)),
    ("import pandas as pd\n", "pd.read_csv('/srv/a.csv').query(v)", ("RCE", 94)),
    ("import pandas as pd\n", "df = pd.DataFrame({'a': [1]})\ndf.eval(v)", ("RCE", 94)),
    ("", "code.InteractiveInterpreter().runsource(v)", ("RCE", 94)),
    ("", "code.InteractiveConsole().push(v)", ("RCE", 94)),
    ("", "timeit.timeit(v, number=1)", ("RCE", 94)),
    ("", "timeit.timeit('x = 1', setup=v)", ("RCE", 94)),
    ("import sympy\n", "sympy.sympify(v)", ("RCE", 94)),
    # processes (78)
    ("", "os.execv(v, [v])", ("RCE", 78)),
    ("", "os.execl('/bin/sh', 'sh', '-c', v)", ("RCE", 78)),
    ("", "os.execvp('sh', ['sh', '-c', v])", ("RCE", 78)),
    ("", "os.spawnlp(os.P_WAIT, v, v)", ("RCE", 78)),
    ("", "os.spawnv(os.P_WAIT, '/bin/bash', ['bash', '-c', v])", ("RCE", 78)),
    ("", "pty.spawn(v)", ("RCE", 78)),
    ("", "pty.spawn(['bash', '-c', v])", ("RCE", 78)),
    ("", "subprocess.run([v, '--version'])", ("RCE", 78)),
    ("", "subprocess.run(['/bin/sh', '-c', f'echo {v}'])", ("RCE", 78)),
    ("", "subprocess.check_output(['python3', '-c', v])", ("RCE", 78)),
    ("", "subprocess.run('echo ' + v, shell=True)", ("RCE", 78)),
    ("", "subprocess.Popen(v)", ("RCE", 78)),
    ("", "subprocess.run(['ls'], executable=v)", ("RCE", 78)),
    ("", "argv = ['sh', '-c']\nargv.append('echo ' + v)\nsubprocess.run(argv)", ("RCE", 78)),
    ("", "asyncio.run(asyncio.create_subprocess_shell('echo ' + v))", ("RCE", 78)),
    ("", "asyncio.run(asyncio.create_subprocess_exec(v))", ("RCE", 78)),
    ("", "asyncio.run(asyncio.create_subprocess_exec('sh', '-c', v))", ("RCE", 78)),
    ("import commands\n", "commands.getoutput('ls ' + v)", ("RCE", 78)),
    ("import paramiko\n", "c = paramiko.SSHClient()\nc.exec_command('ls ' + v)", ("RCE", 78)),
]

RCE_SAFE = [
    ("from PIL import ImageMath\n", "ImageMath.eval('a + b', a=1, b=int(v))"),
    ("import numexpr\n", "numexpr.evaluate('a * 2', local_dict={'a': v})"),
    ("import pandas as pd\n", "pd.read_csv('/srv/a.csv').query('a > @v')"),
    ("", "timeit.timeit('x = 1', number=int(v))"),
    ("", "os.execv('/usr/bin/convert', ['convert', v])"),
    ("", "os.execl('/usr/bin/convert', 'convert', v)"),
    ("", "pty.spawn(['/usr/bin/less', v])"),
    ("", "subprocess.run(['ping', '-c', '1', v])"),
    ("", "subprocess.run(['sh', '/srv/job.sh', v])"),
    ("", "subprocess.run(('ls ' + v).split())"),
    ("", "subprocess.run(['echo', v], shell=False)"),
    ("", "asyncio.run(asyncio.create_subprocess_exec('convert', v))"),
]


@pytest.mark.parametrize(("imports", "body", "expected"), RCE)
def test_rce_sinks(scan: Scan, imports: str, body: str, expected: tuple[str, int]) -> None:
    check(scan, body, expected, imports)


@pytest.mark.parametrize(("imports", "body"), RCE_SAFE)
def test_rce_look_alikes(scan: Scan, imports: str, body: str) -> None:
    check(scan, body, None, imports)


def test_argument_lists_built_by_appending(scan: Scan) -> None:
    check(
        scan,
        "argv = []\nargv.append('sh')\nargv.append('-c')\nargv.append(f'echo {v}')\nsubprocess.run(argv)",
        ("RCE", 78),
    )
    check(scan, "argv = ['ping', '-c', '1']\nargv.append(v)\nsubprocess.run(argv)", None)


FILES = [
    ("", "Path(v).read_text()", ("LFI", 22)),
    ("", "(Path('/srv') / v).read_bytes()", ("LFI", 22)),
    ("", "p = Path('/srv') / v\np.open()", ("LFI", 22)),
    ("", "Path('/srv', v).resolve().open('rb')", ("LFI", 22)),
    ("", "list(Path('/srv').glob(v))", ("LFI", 22)),
    ("", "list((Path('/srv') / v).iterdir())", ("LFI", 22)),
    ("", "list(Path(v).rglob('*.txt'))", ("LFI", 22)),
    ("", "(Path('/srv') / v).unlink()", ("AFO", 22)),
    ("", "Path(v).write_text('x')", ("AFO", 73)),
    ("", "(Path('/srv') / v).open('w')", ("AFO", 22)),
    ("", "os.listdir(os.path.join('/srv', v))", ("LFI", 22)),
    ("", "glob.glob('/srv/' + v)", ("LFI", 22)),
    ("", "return send_file(os.path.join('/srv', v))", ("LFI", 22)),
    ("", "return send_from_directory(os.path.join('/srv', v), 'a.txt')", ("LFI", 22)),
    ("from fastapi.responses import FileResponse\n", "return FileResponse('/srv/' + v)", ("LFI", 22)),
    ("", "shutil.copy('/srv/' + v, '/srv/public/a')", ("LFI", 22)),
    ("", "shutil.move('/srv/a', '/srv/' + v)", ("AFO", 22)),
    ("", "shutil.rmtree(v)", ("AFO", 73)),
    ("", "shutil.make_archive('/srv/out', 'zip', root_dir=v)", ("LFI", 22)),
    ("", "shutil.make_archive(v, 'zip', '/srv/data')", ("AFO", 73)),
    ("", "tarfile.open(fileobj=up).extractall('/srv/x')", ("AFO", 22)),
    ("", "with tarfile.open(fileobj=up) as t:\n    t.extractall('/srv/x', filter='fully_trusted')", ("AFO", 22)),
    ("", "zipfile.ZipFile('/srv/a.zip').extractall(os.path.join('/srv', v))", ("AFO", 22)),
    ("", "base = '/srv'\nopen(os.path.join(base, v)).read()", ("LFI", 22)),
    ("import pandas as pd\n", "pd.read_csv('/srv/' + v)", ("LFI", 22)),
    ("import xml.etree.ElementTree as ET\n", "ET.parse(v)", ("LFI", 22)),
    # content from the request written into code or a template (94)
    ("", "with open('app/templates/page.html', 'w') as fh:\n    fh.write(v)", ("AFO", 94)),
    ("", "fh = open('/srv/plugins/hook.py', 'a')\nfh.write(j['code'])", ("AFO", 94)),
    ("", "Path('app/templates/page.j2').write_text(v)", ("AFO", 94)),
    ("", "up.save('/srv/app/plugins/plugin.py')", ("AFO", 94)),
    (
        "VIEWS = '/srv/app/templates'\n",
        "with open(os.path.join(VIEWS, 'index'), 'w') as fh:\n    fh.write(v)",
        ("AFO", 94),
    ),
]

FILES_SAFE = [
    ("", "return send_from_directory('/srv/files', v)"),
    ("", "Path('/srv/fixed.txt').read_text()"),
    ("", "list(Path('/srv').glob('*.txt'))"),
    ("", "zipfile.ZipFile(up).extractall('/srv/x')"),
    ("", "with zipfile.ZipFile(up) as z:\n    z.extractall('/srv/x')"),
    ("", "tarfile.open(fileobj=up).extractall('/srv/x', filter='data')"),
    ("", "t = tarfile.open(fileobj=up)\nt.extractall('/srv/x', members=[m for m in t if m.isfile()])"),
    ("", "with open('/srv/notes.txt', 'w') as fh:\n    fh.write(v)"),
    ("NOTES = '/srv/notes'\n", "with open(os.path.join(NOTES, 'index'), 'w') as fh:\n    fh.write(v)"),
    ("", "Path('/srv/data/page.txt').write_text(v)"),
    ("", "up.save('/srv/uploads/data.bin')"),
    ("", "with open('app/templates/page.html') as fh:\n    fh.read()"),
]


@pytest.mark.parametrize(("imports", "body", "expected"), FILES)
def test_file_sinks(scan: Scan, imports: str, body: str, expected: tuple[str, int]) -> None:
    check(scan, body, expected, imports)


@pytest.mark.parametrize(("imports", "body"), FILES_SAFE)
def test_file_look_alikes(scan: Scan, imports: str, body: str) -> None:
    check(scan, body, None, imports)


MONGO = "from pymongo import MongoClient\ndb = MongoClient().shop\n"

NETWORK_AND_DATA = [
    # NoSQL (943): the request shapes the filter
    (MONGO, "db.users.find_one(request.json)", ("SQLI", 943)),
    (MONGO, "db.users.find(request.get_json()['filter'])", ("SQLI", 943)),
    (MONGO, "db.users.find_one({'name': j['name'], 'password': j['password']})", ("SQLI", 943)),
    (MONGO, "q = {'name': j.get('name')}\ndb.users.delete_many(q)", ("SQLI", 943)),
    (MONGO, "db.users.find({'$where': \"this.name == '\" + v + \"'\"})", ("SQLI", 943)),
    (MONGO, "import json\ndb.users.count_documents(json.loads(v))", ("SQLI", 943)),
    (MONGO, "db.orders.aggregate([{'$match': j}])", ("SQLI", 943)),
    (MONGO, "db.users.update_one({'_id': j['id']}, {'$set': {'a': 1}})", ("SQLI", 943)),
    # SSRF (918)
    ("import requests\n", "requests.Session().get(v)", ("SSRF", 918)),
    ("import requests\n", "s = requests.session()\ns.post(v)", ("SSRF", 918)),
    ("import httpx\n", "httpx.stream('GET', v)", ("SSRF", 918)),
    ("import httpx\n", "httpx.Client(base_url=v)", ("SSRF", 918)),
    ("import httpx\n", "httpx.Client(base_url='https://api.example.com').get(v)", ("SSRF", 918)),  # absolute wins
    ("import requests\n", "requests.get('/' + v)", ("SSRF", 918)),  # //host
    ("import httpx\n", "asyncio.run(httpx.AsyncClient().get(v))", ("SSRF", 918)),
    ("", "urllib.request.urlretrieve(v, '/tmp/x')", ("SSRF", 918)),
    ("", "req = urllib.request.Request(v)\nurllib.request.urlopen(req)", ("SSRF", 918)),
    ("", "urllib.request.build_opener().open(v)", ("SSRF", 918)),
    ("import urllib3\n", "urllib3.PoolManager().request('GET', v)", ("SSRF", 918)),
    ("import urllib3\n", "urllib3.PoolManager().urlopen('GET', v)", ("SSRF", 918)),
    ("import aiohttp\n", "session = aiohttp.ClientSession()\nsession.put(v)", ("SSRF", 918)),
    ("", "http.client.HTTPConnection(v).request('GET', '/')", ("SSRF", 918)),
    ("import pycurl\n", "c = pycurl.Curl()\nc.setopt(pycurl.URL, v)", ("SSRF", 918)),
    ("import pycurl\n", "c = pycurl.Curl()\nc.setopt(c.URL, v)", ("SSRF", 918)),
    ("", "s = socket.socket()\ns.connect((v, 80))", ("SSRF", 918)),
    ("", "smtplib.SMTP(v, 25)", ("SSRF", 918)),
    ("", "ftplib.FTP(v)", ("SSRF", 918)),
    ("", "f = ftplib.FTP()\nf.connect(v)", ("SSRF", 918)),
    # deserialisation (502)
    ("import yaml\n", "yaml.load(v, Loader=yaml.Loader)", ("RCE", 502)),
    ("import yaml\n", "yaml.load(v, Loader=yaml.FullLoader)", ("RCE", 502)),
    ("import yaml\n", "yaml.load(v, yaml.UnsafeLoader)", ("RCE", 502)),
    ("import yaml\n", "yaml.full_load(v)", ("RCE", 502)),
    ("import jsonpickle\n", "jsonpickle.decode(v)", ("RCE", 502)),
    ("import dill\n", "dill.loads(up.read())", ("RCE", 502)),
    ("import shelve\n", "shelve.open('/srv/' + v)", ("RCE", 502)),
    ("import marshal\n", "marshal.loads(request.data)", ("RCE", 502)),
    ("", "pickle.Unpickler(up).load()", ("RCE", 502)),
    ("import numpy as np\n", "np.load(up, allow_pickle=True)", ("RCE", 502)),
    ("import torch\n", "torch.load(up)", ("RCE", 502)),
    ("import joblib\n", "joblib.load(up)", ("RCE", 502)),
    # a saved upload read back and deserialised
    (
        "",
        "p = os.path.join('/srv/up', 'model.pkl')\nup.save(p)\nwith open(p, 'rb') as fh:\n    pickle.load(fh)",
        ("RCE", 502),
    ),
    ("import joblib\n", "up.save('/srv/m.joblib')\njoblib.load('/srv/m.joblib')", ("RCE", 502)),
    (
        "",
        "p = '/srv/m.pkl'\nwith open(p, 'wb') as out:\n    out.write(up.read())\npickle.loads(Path(p).read_bytes())",
        ("RCE", 502),
    ),
    # SQL (89)
    ("import sqlite3\n", "sqlite3.connect('d').executescript('DELETE FROM t WHERE a = ' + v)", ("SQLI", 89)),
    (
        "from sqlalchemy import create_engine\n",
        "create_engine('sqlite://').connect().exec_driver_sql(f\"SELECT {v}\")",
        ("SQLI", 89),
    ),
    ("from sqlalchemy import literal_column\n", "literal_column(v)", ("SQLI", 89)),
    ("from peewee import SQL\n", "SQL('a = ' + v)", ("SQLI", 89)),
    ("import peewee\n", "peewee.SqliteDatabase('d').execute_sql('SELECT * FROM t WHERE a = ' + v)", ("SQLI", 89)),
    ("import pandas as pd\n", "pd.read_sql(f'SELECT * FROM t WHERE a = {v}', None)", ("SQLI", 89)),
    (
        "import asyncpg\n",
        "conn = asyncio.run(asyncpg.connect())\nconn.fetch(f'SELECT * FROM t WHERE a = {v}')",
        ("SQLI", 89),
    ),
    (
        "import asyncpg\n",
        "conn = asyncio.run(asyncpg.connect())\nconn.fetchrow('SELECT * FROM t WHERE a = ' + v)",
        ("SQLI", 89),
    ),
    ("import aiosqlite\n", "db = aiosqlite.connect('d')\ndb.execute('SELECT * FROM t WHERE a = %s' % v)", ("SQLI", 89)),
]

NETWORK_AND_DATA_SAFE = [
    (MONGO, "db.users.find_one({'name': v})"),
    (MONGO, "db.users.find_one({'name': request.args['n'], 'age': {'$gt': int(v)}})"),
    (MONGO, "db.users.find_one({'name': str(j['name'])})"),
    (MONGO, "db.users.find({'$where': 'this.a > 1'})"),
    (MONGO, "text = 'abc'\ntext.find(j['x'])"),
    (MONGO, "names = ['a']\nnames.count(j['x'])"),
    ("", "text = 'abc'\ntext.find(j['x'])"),  # no MongoDB library in this file: a str method
    ("import requests\n", "requests.Session().get('https://api.example.com/items/' + v)"),
    ("import httpx\n", "httpx.Client(base_url='https://api.example.com').get('/items/' + v)"),
    ("import pycurl\n", "c = pycurl.Curl()\nc.setopt(pycurl.USERAGENT, v)"),
    ("", "smtplib.SMTP('mail.example.com').sendmail('a@example.com', [v], 'hi')"),
    ("import yaml\n", "yaml.load(v, Loader=yaml.SafeLoader)"),
    ("import yaml\n", "yaml.load(v, yaml.CSafeLoader)"),
    ("import numpy as np\n", "np.load(up)"),
    ("import torch\n", "torch.load(up, weights_only=True)"),
    ("", "p = '/srv/m.pkl'\nup.save('/srv/other.pkl')\npickle.load(open(p, 'rb'))"),
    ("import sqlite3\n", "sqlite3.connect('d').executemany('INSERT INTO t VALUES (?)', [(v,)])"),
    (
        "from sqlalchemy import create_engine, text\n",
        "create_engine('sqlite://').connect().execute(text('SELECT * FROM t WHERE a = :a'), {'a': v})",
    ),
    ("import asyncpg\n", "conn = asyncio.run(asyncpg.connect())\nconn.fetch('SELECT * FROM t WHERE a = $1', v)"),
    ("import requests\n", "requests.get('https://api.example.com').json().get(v)"),
]


@pytest.mark.parametrize(("imports", "body", "expected"), NETWORK_AND_DATA)
def test_network_and_data_sinks(scan: Scan, imports: str, body: str, expected: tuple[str, int]) -> None:
    check(scan, body, expected, imports)


@pytest.mark.parametrize(("imports", "body"), NETWORK_AND_DATA_SAFE)
def test_network_and_data_look_alikes(scan: Scan, imports: str, body: str) -> None:
    check(scan, body, None, imports)


SQL_COVERAGE = [
    ("from models import Item\n", "Item.objects.raw(f'SELECT * FROM item WHERE name = {v}')", ("SQLI", 89)),
    ("from models import Item\n", "Item.objects.extra(where=[\"name = '%s'\" % v])", ("SQLI", 89)),
    ("from django.db.models.expressions import RawSQL\n", "RawSQL('SELECT 1 WHERE a = ' + v, [])", ("SQLI", 89)),
    (
        "from django.db import connection\n",
        "connection.cursor().execute('SELECT * FROM t WHERE a = ' + v)",
        ("SQLI", 89),
    ),
    ("from models import db\n", "db.session.execute(f'SELECT * FROM t WHERE a = {v}')", ("SQLI", 89)),
    ("from sqlalchemy import create_engine\n", "create_engine('sqlite://').execute('SELECT %s' % v)", ("SQLI", 89)),
]

SQL_COVERAGE_SAFE = [
    ("from models import Item\n", "Item.objects.raw('SELECT * FROM item WHERE name = %s', [v])"),
    ("from django.db import connection\n", "q = 'SELECT * FROM t WHERE a = %s'\nconnection.cursor().execute(q, [v])"),
    ("from models import db\n", "db.session.execute('SELECT * FROM t WHERE a = :a', {'a': v})"),
    ("from models import Item\n", "Item.objects.filter(name=v).extra(select={'n': 'count(*)'})"),
]

MODELS = {
    "models.py": "from django.db import models\nfrom flask_sqlalchemy import SQLAlchemy\n"
    "db = SQLAlchemy()\n\nclass Item(models.Model):\n    name = models.CharField(max_length=9)\n"
}


@pytest.mark.parametrize(("imports", "body", "expected"), SQL_COVERAGE)
def test_sql_sinks(scan: Scan, imports: str, body: str, expected: tuple[str, int]) -> None:
    files, last = app(body, imports)
    assert findings(scan({**files, **MODELS})) == {(*expected, last)}


@pytest.mark.parametrize(("imports", "body"), SQL_COVERAGE_SAFE)
def test_sql_look_alikes(scan: Scan, imports: str, body: str) -> None:
    files, _ = app(body, imports)
    assert findings(scan({**files, **MODELS})) == set()


def test_mongoengine_raw_queries(scan: Scan) -> None:
    imports = "from mongoengine import Document, StringField\n\nclass User(Document):\n    name = StringField()\n"
    check(scan, "User.objects(__raw__=j)", ("SQLI", 943), imports)
    check(scan, "User.objects(**j)", ("SQLI", 943), imports)
    check(scan, "User.objects(name=v)", None, imports)
    check(scan, "User.objects.filter(__raw__={'$where': 'this.name == \"' + v + '\"'})", ("SQLI", 943), imports)


def test_nosql_through_a_helper(scan: Scan) -> None:
    helper = (
        "from pymongo import MongoClient\ndb = MongoClient().shop\n\n"
        "def one(query):\n    return db.users.find_one(query)\n\n"
        "def by_name(name):\n    return db.users.find_one({'name': name})\n"
    )
    imports = "from store import one, by_name\n"
    files, last = app("one(j)", imports)
    assert findings(scan({**files, "store.py": helper})) == {("SQLI", 943, 5)}
    files, last = app("by_name(v)", imports)
    assert findings(scan({**files, "store.py": helper})) == set()


def test_django_storage_upload_read_back(scan: Scan) -> None:
    views = """
import pickle
from django.core.files.storage import default_storage
from django.http import HttpResponse

def restore(request):
    name = default_storage.save("state.pkl", request.FILES["state"])
    with default_storage.open(name, "rb") as fh:
        state = pickle.load(fh)
    return HttpResponse(str(state))

def fixed(request):
    default_storage.save("state.pkl", request.FILES["state"])
    with default_storage.open("other.pkl", "rb") as fh:
        state = pickle.load(fh)
    return HttpResponse(str(state))
"""
    urls = (
        "from django.urls import path\nimport views\n"
        "urlpatterns = [path('r/', views.restore), path('f/', views.fixed)]\n"
    )
    result = scan({"views.py": views, "urls.py": urls})
    assert {(f.type.value, f.cwe, f.entry_function) for f in result.findings} == {("RCE", 502, "restore")}
