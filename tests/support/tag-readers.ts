/**
 * Independent tag readers for tests: Debian's python3-mutagen (run as /usr/bin/python3 -c, so a pyenv or
 * virtualenv python never shadows the system package) and ffprobe/ffmpeg. Nothing here uses the code
 * under test.
 */
import { execFileSync } from 'node:child_process';

/** The system interpreter that has python3-mutagen (apt-get install python3-mutagen). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

const MUTAGEN_SCRIPT = String.raw`
import sys, json, hashlib, struct, base64
import mutagen
from mutagen.id3 import ID3, APIC, TXXX, TMOO, COMM
from mutagen.flac import FLAC, Picture
from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm
from mutagen.asf import ASF, ASFByteArrayAttribute
from mutagen.oggvorbis import OggVorbis
from mutagen.oggopus import OggOpus
from mutagen.wave import WAVE
from mutagen.aiff import AIFF

PNG = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==')

def sha(b):
    return hashlib.sha1(bytes(b)).hexdigest()

def kind(f):
    if isinstance(f, (WAVE, AIFF)) or isinstance(getattr(f, 'tags', None), ID3): return 'id3'
    if isinstance(f, FLAC): return 'flac'
    if isinstance(f, (OggVorbis, OggOpus)): return 'ogg'
    if isinstance(f, MP4): return 'mp4'
    if isinstance(f, ASF): return 'asf'
    return type(f).__name__

def text_of(v):
    if isinstance(v, bytes): return v.decode('utf-8')
    return str(v)

def dump(path):
    f = mutagen.File(path)
    k = kind(f)
    t = f.tags
    out = {'kind': k, 'mood': [], 'txxxMood': [], 'scores': None, 'title': None, 'artist': None, 'album': None, 'keep': None, 'covers': []}
    if t is None:
        return out
    if k == 'id3':
        out['id3version'] = t.version[1]
        out['mood'] = [x for fr in t.getall('TMOO') for x in fr.text]
        out['txxxMood'] = [x for fr in t.getall('TXXX:MOOD') for x in fr.text]
        s = t.getall('TXXX:MOODSHELF_SCORES')
        out['scores'] = s[0].text[0] if s else None
        g = lambda i: (str(t[i].text[0]) if i in t else None)
        out['title'], out['artist'], out['album'] = g('TIT2'), g('TPE1'), g('TALB')
        kp = t.getall('TXXX:MSKEEP')
        out['keep'] = kp[0].text[0] if kp else None
        out['covers'] = [sha(p.data) for p in t.getall('APIC')]
    elif k in ('flac', 'ogg'):
        g = lambda key: t.get(key)
        out['mood'] = g('mood') or []
        s = g('moodshelf_scores')
        out['scores'] = s[0] if s else None
        out['title'], out['artist'], out['album'] = [(g(x) or [None])[0] for x in ('title', 'artist', 'album')]
        out['keep'] = (g('mskeep') or [None])[0]
        if k == 'flac':
            out['covers'] = [sha(p.data) for p in f.pictures]
        else:
            out['covers'] = [sha(Picture(base64.b64decode(b)).data) for b in (g('metadata_block_picture') or [])]
    elif k == 'mp4':
        out['mood'] = [text_of(x) for x in t.get('----:com.apple.iTunes:MOOD', [])]
        s = t.get('----:com.apple.iTunes:MOODSHELF_SCORES')
        out['scores'] = text_of(s[0]) if s else None
        g = lambda key: (str(t[key][0]) if key in t else None)
        out['title'], out['artist'], out['album'] = g('\xa9nam'), g('\xa9ART'), g('\xa9alb')
        kp = t.get('----:com.apple.iTunes:MSKEEP')
        out['keep'] = text_of(kp[0]) if kp else None
        out['covers'] = [sha(c) for c in t.get('covr', [])]
    elif k == 'asf':
        out['mood'] = [str(x) for x in t.get('WM/Mood', [])]
        s = t.get('MOODSHELF_SCORES')
        out['scores'] = str(s[0]) if s else None
        g = lambda key: (str(t[key][0]) if key in t else None)
        out['title'], out['artist'], out['album'] = g('Title'), g('Author'), g('WM/AlbumTitle')
        out['keep'] = g('MSKEEP')
        covers = []
        for p in t.get('WM/Picture', []):
            v = p.value
            size = struct.unpack_from('<I', v, 1)[0]
            covers.append(sha(v[-size:]))
        out['covers'] = covers
    return out

def decorate(path, moods):
    """Adds a cover, a custom keep-me field and optionally existing mood values."""
    f = mutagen.File(path)
    k = kind(f)
    if k == 'id3':
        if f.tags is None: f.add_tags()
        t = f.tags
        t.add(APIC(encoding=3, mime='image/png', type=3, desc='cover', data=PNG))
        t.add(TXXX(encoding=3, desc='MSKEEP', text=['keep me']))
        v = t.version[1]
        if moods and v >= 4:
            t.add(TMOO(encoding=3, text=moods))
        elif moods:
            t.add(TXXX(encoding=1, desc='MOOD', text=moods))
        if isinstance(f, (WAVE, AIFF)):
            f.save(v2_version=v)
        else:
            f.save(path, v2_version=v)
        return
    if k == 'flac':
        p = Picture(); p.type = 3; p.mime = 'image/png'; p.desc = 'cover'; p.data = PNG; p.width = p.height = 1; p.depth = 24
        f.add_picture(p)
        f['MSKEEP'] = ['keep me']
        if moods: f['MOOD'] = moods
    elif k == 'ogg':
        p = Picture(); p.type = 3; p.mime = 'image/png'; p.desc = 'cover'; p.data = PNG; p.width = p.height = 1; p.depth = 24
        f['METADATA_BLOCK_PICTURE'] = [base64.b64encode(p.write()).decode('ascii')]
        f['MSKEEP'] = ['keep me']
        if moods: f['MOOD'] = moods
    elif k == 'mp4':
        f.tags['covr'] = [MP4Cover(PNG, imageformat=MP4Cover.FORMAT_PNG)]
        f.tags['----:com.apple.iTunes:MSKEEP'] = [MP4FreeForm(b'keep me')]
        if moods: f.tags['----:com.apple.iTunes:MOOD'] = [MP4FreeForm(m.encode()) for m in moods]
    elif k == 'asf':
        mime = 'image/png'.encode('utf-16-le') + b'\0\0'
        desc = 'cover'.encode('utf-16-le') + b'\0\0'
        blob = struct.pack('<bI', 3, len(PNG)) + mime + desc + PNG
        f.tags['WM/Picture'] = [ASFByteArrayAttribute(blob)]
        f.tags['MSKEEP'] = ['keep me']
        if moods: f.tags['WM/Mood'] = moods
    f.save()

cmd = sys.argv[1]
if cmd == 'dump':
    print(json.dumps({p: dump(p) for p in sys.argv[2:]}))
elif cmd == 'decorate':
    moods = json.loads(sys.argv[2])
    for p in sys.argv[3:]: decorate(p, moods)
elif cmd == 'pprint':
    out = {}
    for p in sys.argv[2:]:
        t = mutagen.File(p).tags
        out[p] = t.pprint().split('\n') if t is not None else []
    print(json.dumps(out))
elif cmd == 'version':
    print(mutagen.version_string)
`;

function mutagen(args: string[]): string {
  return execFileSync(SYSTEM_PYTHON, ['-c', MUTAGEN_SCRIPT, ...args], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
}

/** What mutagen reads from a file: mood fields, scores, a few common tags, a kept custom field and cover hashes. */
export interface MutagenView {
  kind: 'id3' | 'flac' | 'ogg' | 'mp4' | 'asf' | string;
  id3version?: number;
  mood: string[];
  txxxMood: string[];
  scores: string | null;
  title: string | null;
  artist: string | null;
  album: string | null;
  keep: string | null;
  covers: string[];
}

/** mutagen's view of each file. */
export function mutagenRead(paths: string[]): Record<string, MutagenView> {
  return JSON.parse(mutagen(['dump', ...paths])) as Record<string, MutagenView>;
}

/** Adds a 1x1 PNG cover, a custom MSKEEP="keep me" field and (optionally) existing moods, with mutagen. */
export function mutagenDecorate(paths: string[], moods: string[] = []): void {
  mutagen(['decorate', JSON.stringify(moods), ...paths]);
}

/** mutagen's full listing of every tag of each file (one "KEY=value" line per value). */
export function mutagenListing(paths: string[]): Record<string, string[]> {
  return JSON.parse(mutagen(['pprint', ...paths])) as Record<string, string[]>;
}

/** True when the system python has mutagen. */
export function hasMutagen(): boolean {
  try {
    return /^\d/.test(mutagen(['version']).trim());
  } catch {
    return false;
  }
}

/** ffprobe's tags of a file: container and stream tags together, keys lower-cased. */
export function ffprobeTags(path: string): Record<string, string> {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format_tags:stream_tags', '-of', 'json', path], {
    encoding: 'utf8',
  });
  const j = JSON.parse(out) as { format?: { tags?: Record<string, string> }; streams?: { tags?: Record<string, string> }[] };
  const tags: Record<string, string> = {};
  for (const t of [j.format?.tags, ...(j.streams ?? []).map((s) => s.tags)]) {
    for (const [k, v] of Object.entries(t ?? {})) tags[k.toLowerCase()] = v;
  }
  return tags;
}

/** MD5 of the audio stream: packets copied as they are, and the decoded PCM. */
export function audioMd5(path: string): { packets: string; decoded: string } {
  const md5 = (args: string[]): string =>
    execFileSync('ffmpeg', ['-v', 'error', '-i', path, '-map', '0:a', ...args, '-f', 'md5', '-'], { encoding: 'utf8' }).trim();
  return { packets: md5(['-c', 'copy']), decoded: md5([]) };
}
