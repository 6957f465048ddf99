// (being written: the indexing op family)
export {};
