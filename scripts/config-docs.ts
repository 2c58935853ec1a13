// `npm run docs:config`: regenerates the README's configuration table from the settings table
// (src/settings.ts), between the markers below; everything else in the README stays as it is.
// test/unit/configDocs.test.ts fails when the README differs from what this would write.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultText, SETTING_NAMES, SETTING_READERS, SETTINGS, type Setting, type SettingGroup, type SettingName } from '../src/settings';

export const README_PATH = path.resolve(__dirname, '../README.md');
export const START_MARKER = '<!-- config-table:start -->';
export const END_MARKER = '<!-- config-table:end -->';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The generated Markdown: a legend of the readers, then one table per group, in the table's order. */
export function configTable(): string {
  const groups = new Map<SettingGroup, SettingName[]>();
  for (const name of SETTING_NAMES) {
    const group = SETTINGS[name].group;
    groups.set(group, [...(groups.get(group) ?? []), name]);
  }
  const lines = [
    '<!-- Generated from src/settings.ts by `npm run docs:config`: edit the settings table, not these lines. -->',
    '',
    `*read by*: ${Object.entries(SETTING_READERS)
      .map(([reader, what]) => `\`${reader}\` = ${what}`)
      .join('; ')}.`,
  ];
  for (const [group, names] of groups) {
    lines.push('', `**${group}**`, '', '| variable | default | read by | meaning |', '| --- | --- | --- | --- |');
    for (const name of names) {
      const s: Setting = SETTINGS[name];
      lines.push(`| \`${name}\` | ${cell(defaultText(name))} | ${s.readBy.join(', ')} | ${cell(s.description)} |`);
    }
  }
  lines.push('');
  return lines.join('\n');
}

/** The README with its configuration table regenerated; throws when the markers are missing. */
export function withConfigTable(readme: string): string {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start === -1 || end === -1 || end < start) throw new Error(`README.md needs the markers ${START_MARKER} and ${END_MARKER} around the configuration table`);
  return `${readme.slice(0, start + START_MARKER.length)}\n${configTable()}\n${readme.slice(end)}`;
}

if (require.main === module) {
  const before = readFileSync(README_PATH, 'utf8');
  const after = withConfigTable(before);
  if (after === before) console.log('README.md: the configuration table is up to date');
  else {
    writeFileSync(README_PATH, after);
    console.log(`README.md: configuration table regenerated (${SETTING_NAMES.length} settings)`);
  }
}
