import { describe, expect, it } from 'vitest';
import { safeSegments, uniqueFilePaths } from '../../shared/file-paths.ts';
import { buildFileTree, filesUnder, folderAt, folderTotals, foldersUnder } from '../../shared/file-tree.ts';

const file = (name: string, fileId = name.padEnd(8, '0').replace(/[^0-9a-f]/g, 'f'), size = 100, had = 0) =>
  ({ fileId, name, size, storedBytes: had });

describe('file paths', () => {
  it.each([
    ['lab9/ex1/data.csv', ['lab9', 'ex1', 'data.csv']],
    ['/etc/passwd', ['etc', 'passwd']],
    ['../../.ssh/id_rsa', ['.ssh', 'id_rsa']],
    ['a//b/./c', ['a', 'b', 'c']],
    ['C:\\Windows\\x', ['C__Windows_x']],
    ['bell\u0007.txt', ['bell_.txt']],
    ['..', ['file']],
  ])('file paths: %j becomes the safe segments %j', (name, segments) => {
    expect(safeSegments(name)).toEqual(segments);
  });

  it('file paths: a name taken twice, or used as a folder by another file, gets the fileId suffix; order does not matter', () => {
    const files = [
      { fileId: 'bbbbbbbb22', name: 'lab/notes.txt' },
      { fileId: 'aaaaaaaa11', name: 'lab/notes.txt' },
      { fileId: 'cccccccc33', name: 'lab/ex1' },
      { fileId: 'dddddddd44', name: 'lab/ex1/a.py' },
    ];
    const expected = new Map([
      ['aaaaaaaa11', 'lab/notes.txt'], ['bbbbbbbb22', 'lab/notes-bbbbbbbb.txt'],
      ['cccccccc33', 'lab/ex1-cccccccc'], ['dddddddd44', 'lab/ex1/a.py'],
    ]);
    expect(uniqueFilePaths(files)).toEqual(expected);
    expect(uniqueFilePaths([...files].reverse())).toEqual(expected);
  });
});

describe('file tree', () => {
  const files = [
    file('lab9/ex10/run.py', 'a1'), file('lab9/ex2/data.csv', 'a2', 1000, 1000), file('lab9/README.md', 'a3', 50, 50),
    file('lab9/ex2/deep/x.bin', 'a4', 4000, 1000), file('top.txt', 'a5', 7), file('lab9/ex2/data.csv', 'a2'),
  ];

  it('file tree: folders first in natural order, then files; each file once at its path', () => {
    const root = buildFileTree(files);
    expect(root.files.map((f) => f.path)).toEqual(['top.txt']);
    const lab = root.folders[0]!;
    expect([lab.path, lab.depth]).toEqual(['lab9', 0]);
    expect(lab.folders.map((f) => f.name)).toEqual(['ex2', 'ex10']);
    expect(lab.files.map((f) => f.name)).toEqual(['README.md']);
    expect(foldersUnder(root).map((f) => f.path)).toEqual(['lab9', 'lab9/ex2', 'lab9/ex2/deep', 'lab9/ex10']);
    expect(filesUnder(root).map((f) => f.path)).toEqual([
      'lab9/ex2/deep/x.bin', 'lab9/ex2/data.csv', 'lab9/ex10/run.py', 'lab9/README.md', 'top.txt',
    ]);
    expect(folderAt(root, 'lab9/ex2/deep')!.files[0]!.file.fileId).toBe('a4');
    expect(folderAt(root, 'lab9/nope')).toBeNull();
  });

  it('file tree: a folder sums sizes, bytes had and complete files over everything below it', () => {
    const root = buildFileTree(files);
    const progress = (f: ReturnType<typeof file>) => ({ size: f.size, bytesHad: f.storedBytes, complete: f.storedBytes === f.size });
    expect(folderTotals(folderAt(root, 'lab9/ex2')!, progress)).toEqual({ files: 2, complete: 1, bytes: 5000, bytesHad: 2000 });
    expect(folderTotals(root, progress)).toEqual({ files: 5, complete: 2, bytes: 5157, bytesHad: 2050 });
  });

  it('file tree: hostile names stay inside the tree (no empty, dot or absolute segments)', () => {
    const root = buildFileTree([file('/../../x', 'b1'), file('a/../b', 'b2'), file('', 'b3')]);
    const paths = filesUnder(root).map((f) => f.path);
    expect(paths).toEqual(['a/b', 'file', 'x']);
    for (const p of paths) expect(p.split('/').every((s) => s !== '' && s !== '..' && s !== '.')).toBe(true);
  });
});
