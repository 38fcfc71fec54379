import { defineServerSuite } from './suite';

defineServerSuite('addon');
