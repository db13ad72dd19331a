import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from './config.ts';
import { ServiceError } from './process.ts';

/**
 * Copies the jars a pom (by default services/<component>/pom.xml) resolves from Maven Central
 * into <dataDir>/jars/<component>, once per pom content, and returns the classpath.
 */
export function ensureJars(
  dataDir: string,
  component: string,
  pom = path.join(projectRoot, 'services', component, 'pom.xml'),
): string {
  const target = path.join(dataDir, 'jars', component);
  const stamp = path.join(target, '.pom-sha256');
  const pomHash = createHash('sha256').update(fs.readFileSync(pom)).digest('hex');
  if (!fs.existsSync(stamp) || fs.readFileSync(stamp, 'utf8') !== pomHash) {
    process.stderr.write(`${component}: resolving jars from Maven Central (first run only)...\n`);
    fs.rmSync(target, { recursive: true, force: true });
    const result = spawnSync(
      'mvn',
      ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${target}`],
      { encoding: 'utf8' },
    );
    if (result.status !== 0) {
      const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
      throw new ServiceError(`${component}: mvn dependency:copy-dependencies failed:\n${output}`);
    }
    fs.writeFileSync(stamp, pomHash);
  }
  return fs
    .readdirSync(target)
    .filter((file) => file.endsWith('.jar'))
    .map((file) => path.join(target, file))
    .join(path.delimiter);
}

/** What every JVM service needs on the machine, with the line that says how to get it. */
export const JVM_PREREQUISITES = {
  java: 'install a JDK 17 (apt-get install openjdk-17-jdk-headless)',
  mvn: 'install Maven (apt-get install maven)',
};

/** A fixed heap, so a service's footprint is what its setting says from the start. */
export function jvmBaseArgs(heap: string): string[] {
  return [`-Xms${heap}`, `-Xmx${heap}`, '-XX:+UseG1GC', '-Djava.awt.headless=true'];
}
