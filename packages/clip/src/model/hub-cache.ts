// The Hugging Face hub cache layout, shared with Python tools (huggingface_hub):
//   <cache>/models--ORG--NAME/blobs/<etag>            file contents, named by their ETag
//   <cache>/models--ORG--NAME/snapshots/<commit>/<f>  the repo's files at a commit (links to blobs)
//   <cache>/models--ORG--NAME/refs/<revision>         the commit a branch or tag points to
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The default hub cache, as huggingface_hub computes it when neither HF_HUB_CACHE nor HF_HOME is set. */
export const DEFAULT_HUB_CACHE = join(homedir(), '.cache', 'huggingface', 'hub');

/** `models--ORG--NAME`, the directory of a model repo in a hub cache. */
export function repoFolder(repo: string): string {
  return `models--${repo.replace(/\//g, '--')}`;
}

/** The paths of one repo in a hub cache. */
export function repoPaths(cache: string, repo: string) {
  const root = join(cache, repoFolder(repo));
  return {
    root,
    blobs: join(root, 'blobs'),
    snapshot: (commit: string) => join(root, 'snapshots', commit),
    ref: (revision: string) => join(root, 'refs', revision),
  };
}
