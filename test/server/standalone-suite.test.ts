import { defineServerSuite } from './suite';

defineServerSuite('standalone');
